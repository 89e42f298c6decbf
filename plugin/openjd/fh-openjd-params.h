/* fh-openjd-params.h — job parameter definitions and values (Template
 * Schemas §2): a value given as text, checked against a definition's
 * constraints. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "fh-openjd-template.h"

G_BEGIN_DECLS

void fh_oj_param_def_free (FhOjParamDef *d);
/* (transfer full) */
FhOjParamDef *fh_oj_param_def_copy (const FhOjParamDef *d);
/* A deep copy of an array of FhOjValue.  (transfer full) */
GArray *fh_oj_values_copy (GArray *values);

/* @text as a value of @type: an INT is an optionally signed base-10
 * integer within 64 bits (rendered normalised), a FLOAT a finite base-10
 * number (rendered as given), a STRING or PATH at most 1,024 characters.
 * FALSE with @message (out, transfer full) when it is not. */
gboolean fh_oj_value_from_text (FhOjType type, const char *text, FhOjValue *out, char **message);

/* Why @v breaks @d's constraints (length, bounds, allowed values), or
 * NULL when it does not.  (transfer full) */
char *fh_oj_param_check_value (const FhOjParamDef *d, const FhOjValue *v);

/* Equal as values of @type (numerically for INT and FLOAT). */
gboolean fh_oj_values_equal (FhOjType type, const FhOjValue *a, const FhOjValue *b);

/* What a form for @d shows, from its definition: {"name", "type",
 * "control" (its userInterface's, else the type's default), "label"?,
 * "groupLabel"?, "description"?, "default"?, "allowedValues"?,
 * "minLength"?, "maxLength"?, "minValue"?, "maxValue"? (as written),
 * "decimals"?, "singleStepDelta"?, "fileFilters"?, "fileFilterDefault"?,
 * "objectType"?, "dataFlow"?}.  (transfer full) */
JsonObject *fh_oj_param_def_form (const FhOjParamDef *d);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FhOjParamDef, fh_oj_param_def_free)

G_END_DECLS
