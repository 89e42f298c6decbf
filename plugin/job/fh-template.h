/* fh-template.h — command templates with tokens.
 *
 * A token is "{name}" or "{name:spec}" where name is one of the tokens
 * below and spec is a width ("4", padded with spaces) or a zero-padded
 * width ("04"), for numeric tokens.  "{{" and "}}" are literal braces.
 * "${...}" and any brace not followed by an identifier are left alone, so
 * shell variables and Python dict literals pass through; "{unknown}" is an
 * error, never literal text.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FH_TEMPLATE_TOKEN_FRAME = 1 << 0,   /* first frame of the item */
  FH_TEMPLATE_TOKEN_START = 1 << 1,   /* first frame */
  FH_TEMPLATE_TOKEN_END = 1 << 2,     /* last frame */
  FH_TEMPLATE_TOKEN_STEP = 1 << 3,    /* distance between the item's frames */
  FH_TEMPLATE_TOKEN_FRAMES = 1 << 4,  /* all frames, space-separated */
  FH_TEMPLATE_TOKEN_NAME = 1 << 5,    /* the item's name */
  FH_TEMPLATE_TOKEN_JOB = 1 << 6,     /* the job's name */
  FH_TEMPLATE_TOKEN_JOB_DIR = 1 << 7, /* directory of the job file */
} FhTemplateToken;

#define FH_TEMPLATE_TOKENS_JOB (FH_TEMPLATE_TOKEN_JOB | FH_TEMPLATE_TOKEN_JOB_DIR)
#define FH_TEMPLATE_TOKENS_ITEM (FH_TEMPLATE_TOKENS_JOB | FH_TEMPLATE_TOKEN_NAME)
#define FH_TEMPLATE_TOKENS_FRAMES (FH_TEMPLATE_TOKENS_ITEM | FH_TEMPLATE_TOKEN_FRAME | FH_TEMPLATE_TOKEN_START | \
                                   FH_TEMPLATE_TOKEN_END | FH_TEMPLATE_TOKEN_STEP | FH_TEMPLATE_TOKEN_FRAMES)
/* Tokens that assume the item's frames are evenly spaced. */
#define FH_TEMPLATE_TOKENS_RANGE (FH_TEMPLATE_TOKEN_START | FH_TEMPLATE_TOKEN_END | FH_TEMPLATE_TOKEN_STEP)

typedef struct
{
  const char *job;
  const char *job_dir;
  const char *name;
  const gint64 *frames;
  guint n_frames;
} FhTemplateVars;

typedef struct _FhTemplate FhTemplate;

/* Parses @text; a token outside @allowed is an error.  @where names the
 * context for that error ("setup commands").  Errors are
 * FH_JOB_ERROR_INVALID with the column of the token.  (transfer full) */
FhTemplate *fh_template_parse (const char *text, guint allowed,
                               const char *where, GError **error);
void fh_template_free (FhTemplate *self);

/* Bitmask of FhTemplateToken used. */
guint fh_template_get_tokens (const FhTemplate *self);

/* (transfer full) */
char *fh_template_expand (const FhTemplate *self, const FhTemplateVars *vars);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhTemplate, fh_template_free)

G_END_DECLS
