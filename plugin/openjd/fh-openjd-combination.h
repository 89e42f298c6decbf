/* fh-openjd-combination.h — a step's combination expression (Template
 * Schemas §3.4.3): "A * B" is the product of two task parameters, each
 * value of A with each of B (the rightmost fastest); "(A, B)" pairs them
 * value by value.  Nested: "(A, B) * C", "(A * B, C)".
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FH_OJ_COMB_NAME,
  FH_OJ_COMB_PRODUCT,
  FH_OJ_COMB_ASSOCIATION,
} FhOjCombKind;

typedef struct _FhOjComb FhOjComb;
struct _FhOjComb
{
  FhOjCombKind kind;
  char *name;            /* FH_OJ_COMB_NAME */
  GPtrArray *children;   /* FhOjComb*: the factors, or the associated */
};

/* @text parsed, or NULL with @message (out, transfer full).  Names are
 * not checked against the step's parameters here.  (transfer full) */
FhOjComb *fh_oj_comb_parse (const char *text, char **message);
/* The product of @names (NULL-ended), in order: the default. */
FhOjComb *fh_oj_comb_product (const char *const *names);
void fh_oj_comb_free (FhOjComb *self);

/* Calls @func on every name, with whether it is inside an association. */
typedef void (*FhOjCombNameFunc) (const char *name, gboolean associated, gpointer user_data);
void fh_oj_comb_foreach_name (const FhOjComb *self, FhOjCombNameFunc func, gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhOjComb, fh_oj_comb_free)

G_END_DECLS
