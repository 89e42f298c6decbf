/* fh-slurm.c — sbatch, squeue and scancel, run and read. */
#include "config.h"

#include "fh-slurm.h"

#include <gio/gio.h>
#include <string.h>

#include "fh-error.h"

G_DEFINE_QUARK (fh-slurm-error-quark, fh_slurm_error)

/* Runs @argv (NULL-terminated) to the end; its stdout in @out (nullable).
 * A command that fails is an error with what it said. */
static gboolean
run (const char *const *argv, char **out, GError **error)
{
  g_autofree char *path = g_find_program_in_path (argv[0]);
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  if (path == NULL)
    return fh_throw (error, FH_SLURM_ERROR, FH_SLURM_ERROR_NOT_FOUND,
                     "%s not found: is Slurm installed here (Debian: slurm-client)?", argv[0]);
  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &local);
  if (proc == NULL || !g_subprocess_communicate_utf8 (proc, NULL, NULL, &stdout_text, &stderr_text, &local))
    {
      /* G_SPAWN_ERROR or G_IO_ERROR, and its code, with the program. */
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", argv[0]);
      return FALSE;
    }
  if (!g_subprocess_get_successful (proc))
    {
      g_autofree char *cmd = g_strjoinv (" ", (char **) argv);
      return fh_throw (error, FH_SLURM_ERROR, FH_SLURM_ERROR_FAILED, "'%s' failed: %s", cmd,
                       g_strstrip (stderr_text && *stderr_text ? stderr_text : stdout_text));
    }
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  return TRUE;
}

char *
fh_slurm_submit_array (const FhSlurmArray *array, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) wrap = g_string_new ("exec");
  g_autofree char *out = NULL;
  char *id;

  g_return_val_if_fail (array->tasks > 0 && array->command != NULL, NULL);
  for (guint i = 0; array->command[i] != NULL; i++)
    {
      g_autofree char *quoted = g_shell_quote (array->command[i]);
      g_string_append_printf (wrap, " %s", quoted);
    }
  g_ptr_array_add (argv, g_strdup ("sbatch"));
  g_ptr_array_add (argv, g_strdup ("--parsable"));
  g_ptr_array_add (argv, g_strdup_printf ("--array=0-%u", array->tasks - 1));
  g_ptr_array_add (argv, g_strdup_printf ("--job-name=%s", array->name));
  g_ptr_array_add (argv, g_strdup_printf ("--output=%s", array->output));
  if (array->partition != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--partition=%s", array->partition));
  if (array->dependency != NULL)
    g_ptr_array_add (argv, g_strdup_printf ("--dependency=%s", array->dependency));
  for (guint i = 0; array->extra_args != NULL && array->extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (array->extra_args[i]));
  g_ptr_array_add (argv, g_strdup_printf ("--wrap=%s", wrap->str));
  g_ptr_array_add (argv, NULL);
  if (!run ((const char *const *) argv->pdata, &out, error))
    return NULL;
  /* --parsable: "<id>" or "<id>;<cluster>". */
  id = g_strstrip (g_strndup (out, strcspn (out, ";\n")));
  if (*id == '\0' || !g_ascii_isdigit (*id))
    {
      g_free (id);
      return fh_throw_null (error, FH_SLURM_ERROR, FH_SLURM_ERROR_FAILED,
                            "sbatch printed no job id: '%s'", out);
    }
  return id;
}

gboolean
fh_slurm_job_active (const char *job_id, gboolean *active, GError **error)
{
  const char *argv[] = { "squeue", "--noheader", "--jobs", job_id, "--format=%T", NULL };
  g_autofree char *out = NULL;
  g_autoptr (GError) local = NULL;

  if (!run (argv, &out, &local))
    {
      /* A job Slurm has already forgotten is not active. */
      if (g_error_matches (local, FH_SLURM_ERROR, FH_SLURM_ERROR_FAILED) &&
          strstr (local->message, "Invalid job id") != NULL)
        {
          *active = FALSE;
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  *active = *g_strstrip (out) != '\0';
  return TRUE;
}

/* scancel @options... with each id of @job_ids (comma-separated: scancel
 * takes them as separate arguments). */
static gboolean
scancel (const char *const *options, const char *job_ids, GError **error)
{
  g_auto (GStrv) ids = g_strsplit (job_ids, ",", -1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (char *) "scancel");
  for (guint i = 0; options[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) options[i]);
  for (guint i = 0; ids[i] != NULL; i++)
    if (*ids[i] != '\0')
      g_ptr_array_add (argv, ids[i]);
  g_ptr_array_add (argv, NULL);
  return run ((const char *const *) argv->pdata, NULL, error);
}

gboolean
fh_slurm_signal_batch (const char *job_id, const char *signal_name,
                       GError **error)
{
  g_autofree char *sig = g_strdup_printf ("--signal=%s", signal_name);
  const char *options[] = { "--batch", sig, NULL };

  return scancel (options, job_id, error);
}

gboolean
fh_slurm_cancel_pending (const char *job_id, GError **error)
{
  const char *options[] = { "--state=PENDING", NULL };

  return scancel (options, job_id, error);
}

gboolean
fh_slurm_cancel (const char *job_id, GError **error)
{
  const char *options[] = { NULL };

  return scancel (options, job_id, error);
}

/* squeue's %L: "[days-][hours:]minutes:seconds", or UNLIMITED/NOT_SET. */
static gboolean
parse_duration (const char *text, gint64 *seconds)
{
  g_auto (GStrv) parts = NULL;
  const char *dash = strchr (text, '-');
  gint64 days = 0, total = 0;
  guint n;

  if (dash != NULL)
    {
      days = g_ascii_strtoll (text, NULL, 10);
      text = dash + 1;
    }
  parts = g_strsplit (text, ":", -1);
  n = g_strv_length (parts);
  if (n < 1 || n > 3 || !g_ascii_isdigit (*parts[0]))
    return FALSE;
  for (guint i = 0; i < n; i++)
    total = total * 60 + g_ascii_strtoll (parts[i], NULL, 10);
  *seconds = days * 86400 + total;
  return TRUE;
}

gboolean
fh_slurm_time_left (const char *job_id, gint64 *seconds, GError **error)
{
  const char *argv[] = { "squeue", "--noheader", "--jobs", job_id, "--format=%L", NULL };
  g_autofree char *out = NULL;

  if (!run (argv, &out, error))
    return FALSE;
  if (!parse_duration (g_strstrip (out), seconds))
    *seconds = -1;
  return TRUE;
}
