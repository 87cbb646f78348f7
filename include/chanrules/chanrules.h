/* chanrules.h: the C API of chanrules, for C and for any language with a C FFI.
 *
 * The C++ API (chanrules/chanrules.hpp) is the library's own; this header wraps it for
 * callers that cannot use C++: plain C99, opaque handles, no C++ type, no exception.
 * Implemented in src/api/c_api.cpp; tested in C by tests/c_api/; used by the Python
 * binding (bindings/python/); documented with a complete example in docs/bindings.md.
 *
 *   chanrules_rules* rules = NULL;
 *   chanrules_status* st = NULL;
 *   if (chanrules_load("rules/channel-2009", NULL, &rules, &st) != CHANRULES_OK) {
 *     fprintf(stderr, "%s\n", chanrules_status_message(st));  // file:line:column: error ...
 *     chanrules_status_free(st);
 *     return 1;
 *   }
 *   ... chanrules_classify_columns(rules, columns, n, rows, NULL, &result, &st) ...
 *   chanrules_result_free(result);
 *   chanrules_rules_free(rules);
 *
 * Errors. Every call that can fail returns a chanrules_code, CHANRULES_OK (0) on success.
 * Its last parameter, `chanrules_status** status`, may be NULL; otherwise it is set to NULL
 * on success and, on failure, to a new status holding the code, a one-line message and,
 * where there is one, the location (rule-set file, line and column; or data row and field)
 * and the rule set's diagnostics. The caller frees it with chanrules_status_free. The few
 * calls that cannot fail (counts on a handle, the *_free functions, the status getters)
 * return their value directly; given a NULL handle they return 0, "" or NULL. No C++
 * exception ever leaves a function of this header; running out of memory is reported as
 * CHANRULES_OUT_OF_MEMORY.
 *
 * Ownership. A pointer returned through `chanrules_x** out` is owned by the caller and freed
 * with the matching chanrules_x_free. A `const char*` or array returned by a getter is
 * borrowed: it stays valid until the handle it came from is freed. Strings are UTF-8 and
 * NUL-terminated. Strings the library allocates for the caller (char**) are freed with
 * chanrules_free.
 *
 * Threads. A chanrules_rules is immutable once loaded: any number of threads may classify
 * and explain with the same handle at once (each call keeps its scratch state on its own
 * stack). Free it only when no call using it is running; results stay valid after the rule
 * set is freed (they keep the compiled program alive). A result, a status and a CSV result
 * belong to one thread at a time.
 */
#ifndef CHANRULES_CHANRULES_H
#define CHANRULES_CHANRULES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status ------------------------------------------------------------------------------ */

typedef enum chanrules_code {
  CHANRULES_OK = 0,
  /* A NULL handle or pointer, an index out of range, a malformed column descriptor. */
  CHANRULES_INVALID_ARGUMENT = 1,
  /* The rule set has errors: the status carries its diagnostics (errors and warnings). */
  CHANRULES_RULE_ERRORS = 2,
  /* The data cannot be classified: a value that cannot be read (strict mode), a required
   * column absent, a CSV without a usable header. The status names the row and field. */
  CHANRULES_DATA_ERROR = 3,
  /* A file cannot be read or written. */
  CHANRULES_IO_ERROR = 4,
  CHANRULES_OUT_OF_MEMORY = 5,
  /* A bug in chanrules: please report it with the message. */
  CHANRULES_INTERNAL_ERROR = 6
} chanrules_code;

typedef struct chanrules_status chanrules_status;

/* The code of a status (CHANRULES_OK for NULL). */
chanrules_code chanrules_status_code(const chanrules_status* status);
/* What went wrong, one line: for rule errors the first error as "file:line:column: error:
 * message [code]" followed by how many errors there are. "" for NULL. */
const char* chanrules_status_message(const chanrules_status* status);
/* Where in a rule set (CHANRULES_RULE_ERRORS: the first error; CHANRULES_IO_ERROR: the
 * file): file "" and line/column 0 when unknown. Lines and columns are 1-based, columns in
 * Unicode code points. */
const char* chanrules_status_file(const chanrules_status* status);
uint32_t chanrules_status_line(const chanrules_status* status);
uint32_t chanrules_status_column(const chanrules_status* status);
/* Where in the data (CHANRULES_DATA_ERROR): the 0-based row of the columns or the 1-based
 * line of the CSV buffer (-1 when none), and the field or column name ("" when none). */
int64_t chanrules_status_row(const chanrules_status* status);
const char* chanrules_status_field(const chanrules_status* status);
/* The rule set's diagnostics for CHANRULES_RULE_ERRORS, else NULL. Owned by the status. */
typedef struct chanrules_diagnostics chanrules_diagnostics;
const chanrules_diagnostics* chanrules_status_diagnostics(const chanrules_status* status);
void chanrules_status_free(chanrules_status* status);

/* Frees a string the library allocated for the caller (NULL is fine). */
void chanrules_free(void* p);

/* "0.1.0" */
const char* chanrules_version(void);

/* ---- Diagnostics ------------------------------------------------------------------------- */

typedef enum chanrules_severity {
  CHANRULES_SEVERITY_ERROR = 0,
  CHANRULES_SEVERITY_WARNING = 1,
  CHANRULES_SEVERITY_NOTE = 2
} chanrules_severity;

/* One problem in a rule set. The strings belong to the list it came from. */
typedef struct chanrules_diagnostic {
  chanrules_severity severity;
  const char* code;        /* stable identifier, e.g. "E-unknown-name" */
  const char* file;        /* "" when unknown */
  uint32_t line;           /* 1-based; 0 when unknown */
  uint32_t column;         /* 1-based, in code points; 0 when unknown */
  const char* message;     /* what is wrong, one line */
  const char* hint;        /* how to fix it; may be "" */
  const char* source_line; /* the text of `line`; may be "" */
  uint32_t caret_length;   /* code points the caret covers */
  const char* formatted;   /* the whole report as `chanrules check` prints it: location,
                            * message, source line, caret and hint, ending with '\n' */
} chanrules_diagnostic;

size_t chanrules_diagnostics_count(const chanrules_diagnostics* list);
chanrules_code chanrules_diagnostics_get(const chanrules_diagnostics* list, size_t i,
                                         const chanrules_diagnostic** out,
                                         chanrules_status** status);
/* The list as a JSON array of objects (keys: severity, code, file, line, column, message,
 * hint), as `chanrules check --json` writes them. Free *json with chanrules_free. */
chanrules_code chanrules_diagnostics_json(const chanrules_diagnostics* list, char** json,
                                          chanrules_status** status);
void chanrules_diagnostics_free(chanrules_diagnostics* list);

/* ---- Loading ----------------------------------------------------------------------------- */

typedef struct chanrules_rules chanrules_rules;

enum {
  /* Allow list and test files outside the rule set's folder (refused by default). */
  CHANRULES_LOAD_ALLOW_OUTSIDE_PATHS = 1u << 0
};

/* Zero-initialise (or pass NULL) for the defaults. */
typedef struct chanrules_load_options {
  uint32_t flags; /* CHANRULES_LOAD_* */
} chanrules_load_options;

/* Loads, checks and compiles a rule set: `path` is a folder holding ruleset.yaml, or a YAML
 * file. A rule set with any error is refused (CHANRULES_RULE_ERRORS, diagnostics in the
 * status); its warnings are kept with the handle (chanrules_rules_diagnostics). */
chanrules_code chanrules_load(const char* path, const chanrules_load_options* options,
                              chanrules_rules** out, chanrules_status** status);
/* The same from `yaml_size` bytes of YAML text. `name` is the file name used in messages
 * (NULL: "<string>"); list and test files are looked up in `base_dir` (NULL: "."). */
chanrules_code chanrules_load_string(const char* yaml, size_t yaml_size, const char* name,
                                     const char* base_dir, const chanrules_load_options* options,
                                     chanrules_rules** out, chanrules_status** status);
/* Loads `path` only to report on it: *out receives every diagnostic (errors, warnings),
 * whether or not the rule set loads; CHANRULES_OK means the check ran, not that the rule set
 * is free of errors. Free *out with chanrules_diagnostics_free. */
chanrules_code chanrules_check(const char* path, const chanrules_load_options* options,
                               chanrules_diagnostics** out, chanrules_status** status);
void chanrules_rules_free(chanrules_rules* rules);

/* ---- What a rule set declares ------------------------------------------------------------ */

typedef enum chanrules_field_type {
  CHANRULES_FIELD_STRING = 0,
  CHANRULES_FIELD_ENUM = 1,
  CHANRULES_FIELD_BOOLEAN = 2,
  CHANRULES_FIELD_INTEGER = 3,
  CHANRULES_FIELD_DATE = 4, /* as integers: days since 1970-01-01 */
  CHANRULES_FIELD_DECIMAL = 5
} chanrules_field_type;

typedef struct chanrules_field_info {
  const char* name;
  chanrules_field_type type;
  int required;       /* a row without it is rejected */
  int unique;         /* a later row repeating an accepted value is rejected */
  size_t value_count; /* CHANRULES_FIELD_ENUM: its labels (chanrules_rules_field_value) */
  int trim;           /* text cells lose their leading and trailing spaces and tabs */
} chanrules_field_info;

typedef struct chanrules_decision_info {
  const char* name;
  int is_output;        /* an output column (else a helper other decisions use) */
  size_t outcome_count; /* its labels: chanrules_rules_outcome_label */
  size_t rule_count;    /* its rules: chanrules_rules_rule_id */
} chanrules_decision_info;

const char* chanrules_rules_name(const chanrules_rules* rules);
const char* chanrules_rules_version(const chanrules_rules* rules);
/* The warnings found while loading (the handle owns them). */
const chanrules_diagnostics* chanrules_rules_diagnostics(const chanrules_rules* rules);

/* Fields (input columns) in declaration order. */
size_t chanrules_rules_field_count(const chanrules_rules* rules);
chanrules_code chanrules_rules_field(const chanrules_rules* rules, size_t field,
                                     chanrules_field_info* out, chanrules_status** status);
/* Index of a field by name; CHANRULES_INVALID_ARGUMENT when there is none. */
chanrules_code chanrules_rules_field_index(const chanrules_rules* rules, const char* name,
                                           size_t* out, chanrules_status** status);
/* Label `i` of an enum field: its code in CHANRULES_COLUMN_CODE16 columns is `i`. */
chanrules_code chanrules_rules_field_value(const chanrules_rules* rules, size_t field, size_t i,
                                           const char** out, chanrules_status** status);

/* Decisions in declaration order; outputs are the classes, helpers feed them. */
size_t chanrules_rules_decision_count(const chanrules_rules* rules);
chanrules_code chanrules_rules_decision(const chanrules_rules* rules, size_t decision,
                                        chanrules_decision_info* out, chanrules_status** status);
chanrules_code chanrules_rules_decision_index(const chanrules_rules* rules, const char* name,
                                              size_t* out, chanrules_status** status);
/* Outcome label `code` of a decision (the codes of chanrules_result_outcome_codes). */
chanrules_code chanrules_rules_outcome_label(const chanrules_rules* rules, size_t decision,
                                             size_t code, const char** out,
                                             chanrules_status** status);
/* Id of rule `index` of a decision (the indices of chanrules_result_rule_indices). */
chanrules_code chanrules_rules_rule_id(const chanrules_rules* rules, size_t decision, size_t index,
                                       const char** out, chanrules_status** status);

/* The files the rule set was loaded from, for shipping it elsewhere (the Dask binding does):
 * index 0 is the rule-set YAML (its name when loaded from a string), then the test files,
 * then the list files, each as the loader opened it. */
size_t chanrules_rules_source_file_count(const chanrules_rules* rules);
chanrules_code chanrules_rules_source_file(const chanrules_rules* rules, size_t i,
                                           const char** path, chanrules_status** status);
/* The folder relative paths in the rule set are resolved against. */
const char* chanrules_rules_base_dir(const chanrules_rules* rules);

/* ---- Classifying columns ----------------------------------------------------------------- */

/* How a column's values are given. Any field takes text (UTF8, LARGE_UTF8), read exactly as
 * a CSV cell of the export (trimmed unless the field says otherwise; "" is missing). */
typedef enum chanrules_column_type {
  /* Arrow's utf8: `offsets` is int32_t[rows + 1], value i is data[offsets[i], offsets[i+1]).
   * Every value must be valid UTF-8. */
  CHANRULES_COLUMN_UTF8 = 0,
  /* Arrow's large_utf8: the same with int64_t offsets. */
  CHANRULES_COLUMN_LARGE_UTF8 = 1,
  /* int64_t[rows]: integer fields, and date fields as days since 1970-01-01. */
  CHANRULES_COLUMN_INT64 = 2,
  /* double[rows]: integer fields (the value must be a whole number) and decimal fields
   * (read as the shortest decimal that converts back to the same double, so 3.5 is "3.5").
   * NaN is missing. Pass decimals as text when they have more than 15 significant digits. */
  CHANRULES_COLUMN_FLOAT64 = 3,
  /* uint8_t[rows]: boolean fields, 0 false, anything else true. */
  CHANRULES_COLUMN_BOOL8 = 4,
  /* uint16_t[rows]: enum fields by code (the label's position, chanrules_rules_field_value);
   * CHANRULES_NO_CODE is missing. Lets a caller map its own dictionary once. */
  CHANRULES_COLUMN_CODE16 = 5
} chanrules_column_type;

#define CHANRULES_NO_CODE 0xFFFFu

/* One input column: borrowed arrays, read during the call only. */
typedef struct chanrules_column {
  const char* name; /* a field of the rule set */
  chanrules_column_type type;
  const void* values;      /* INT64, FLOAT64, BOOL8, CODE16: the array of `rows` values */
  const void* offsets;     /* UTF8, LARGE_UTF8: the rows + 1 offsets (non-decreasing, >= 0) */
  const char* data;        /* UTF8, LARGE_UTF8: the bytes the offsets point into */
  const uint8_t* validity; /* bit i (byte i / 8, LSB first, as Arrow) set when value i is
                            * present; NULL when every value is present */
} chanrules_column;

enum {
  /* Fail the whole call (CHANRULES_DATA_ERROR naming the row and field) at the first row
   * that would be rejected, instead of rejecting it. */
  CHANRULES_CLASSIFY_STRICT = 1u << 0,
  /* Do not reject later rows that repeat a unique field's value (the check costs a hash
   * set of the values). */
  CHANRULES_CLASSIFY_NO_UNIQUE_CHECK = 1u << 1,
  /* The caller vouches that every text value is valid UTF-8 (it comes from Python str, or
   * from an Arrow array already validated), so the check is skipped. Invalid bytes then
   * give unspecified classes for their row, never a crash. */
  CHANRULES_CLASSIFY_VALID_UTF8 = 1u << 2
};

typedef struct chanrules_classify_options {
  uint32_t flags; /* CHANRULES_CLASSIFY_* */
} chanrules_classify_options;

typedef struct chanrules_result chanrules_result;

/* Classifies `rows` records given column by column. Columns name fields; a field without a
 * column is missing in every row (a warning in the result; an error if it is required).
 * Rows are judged as `chanrules classify` judges CSV records: a value that cannot be read,
 * a required value missing, or (unless NO_UNIQUE_CHECK) a repeated unique value rejects
 * the row, which then has no outcome and a reason (chanrules_result_reject). */
chanrules_code chanrules_classify_columns(const chanrules_rules* rules,
                                          const chanrules_column* columns, size_t column_count,
                                          size_t rows, const chanrules_classify_options* options,
                                          chanrules_result** out, chanrules_status** status);

/* ---- Results ----------------------------------------------------------------------------- */

#define CHANRULES_NO_OUTCOME 0xFFFFu   /* outcome code: no class */
#define CHANRULES_RULE_DEFAULT 0xFFFEu /* rule index: the decision's default applied */
#define CHANRULES_NO_RULE 0xFFFFu      /* rule index: nothing fired and there is no default */

size_t chanrules_result_rows(const chanrules_result* result);
size_t chanrules_result_rejected_rows(const chanrules_result* result);
/* Per decision (declaration order), `rows` outcome codes (labels:
 * chanrules_rules_outcome_label) and rule indices (ids: chanrules_rules_rule_id). Every
 * decision of the rule set is there; a helper decision only has outcomes for the rows whose
 * class needed it. Rejected rows have CHANRULES_NO_OUTCOME and CHANRULES_NO_RULE. */
chanrules_code chanrules_result_outcome_codes(const chanrules_result* result, size_t decision,
                                              const uint16_t** codes, chanrules_status** status);
chanrules_code chanrules_result_rule_indices(const chanrules_result* result, size_t decision,
                                             const uint16_t** indices, chanrules_status** status);
/* One cell: the outcome label ("" when none) and the rule id ("default", or "" when none). */
chanrules_code chanrules_result_outcome(const chanrules_result* result, size_t decision, size_t row,
                                        const char** label, chanrules_status** status);
chanrules_code chanrules_result_rule_id(const chanrules_result* result, size_t decision, size_t row,
                                        const char** id, chanrules_status** status);
/* The fields whose missing values made a condition unknown on the way to the row's outcome:
 * *count receives how many; the first min(count, capacity) field indices go to `fields`
 * (which may be NULL when capacity is 0). */
chanrules_code chanrules_result_missing_fields(const chanrules_result* result, size_t decision,
                                               size_t row, size_t* fields, size_t capacity,
                                               size_t* count, chanrules_status** status);
/* Why a row was rejected: *reason is NULL for a classified row; otherwise the reason, and
 * *field (if not NULL) the index of the field at fault (SIZE_MAX when it is the row). */
chanrules_code chanrules_result_reject(const chanrules_result* result, size_t row,
                                       const char** reason, size_t* field,
                                       chanrules_status** status);
/* Notes about the input as a whole, e.g. an optional field without a column. */
size_t chanrules_result_warning_count(const chanrules_result* result);
chanrules_code chanrules_result_warning(const chanrules_result* result, size_t i, const char** text,
                                        chanrules_status** status);
void chanrules_result_free(chanrules_result* result);

/* ---- Classifying CSV --------------------------------------------------------------------- */

typedef enum chanrules_encoding {
  CHANRULES_ENCODING_AUTO = 0, /* UTF-8 if the whole input is valid UTF-8, else GB18030 */
  CHANRULES_ENCODING_UTF8 = 1,
  CHANRULES_ENCODING_GB18030 = 2
} chanrules_encoding;

enum {
  /* Two more columns per decision: <name>_rule and <name>_missing. */
  CHANRULES_CSV_REASONS = 1u << 0,
  /* Neutralise cells starting with = + - @ so spreadsheets do not evaluate them. */
  CHANRULES_CSV_EXCEL_SAFE = 1u << 1,
  /* Fail (CHANRULES_DATA_ERROR) once more than `max_rejects` rows are rejected. */
  CHANRULES_CSV_MAX_REJECTS = 1u << 2,
  /* Use the record size limits max_field_size, max_record_size and max_fields below
   * instead of the defaults (1 MiB, 16 MiB, 65536). Only read with this flag, so a caller
   * built against an older, shorter chanrules_csv_options stays correct. */
  CHANRULES_CSV_LIMITS = 1u << 3
};

/* Zero-initialise (or pass NULL) for the defaults: every output decision, no reasons. */
typedef struct chanrules_csv_options {
  uint32_t flags; /* CHANRULES_CSV_* */
  chanrules_encoding encoding;
  const char* const* decisions; /* decisions to write, by name; NULL: every output */
  size_t decision_count;
  uint64_t max_rejects; /* with CHANRULES_CSV_MAX_REJECTS */
  /* With CHANRULES_CSV_LIMITS, each at least 1 (max_record_size at most 1 GiB): a record
   * with a field longer than max_field_size bytes (as written), longer than max_record_size
   * bytes (without its line end) or with more than max_fields fields is rejected, its
   * reason naming the limit (as csv_options in include/chanrules/csv.h). */
  size_t max_field_size;
  size_t max_record_size;
  size_t max_fields;
} chanrules_csv_options;

typedef struct chanrules_csv_result chanrules_csv_result;

/* Classifies a whole CSV export held in memory, exactly as `chanrules classify` does a file:
 * the output holds every accepted record's input bytes followed by the class columns; the
 * rejects hold "line,column,reason,record" for every rejected record. */
chanrules_code chanrules_classify_csv(const chanrules_rules* rules, const char* data, size_t size,
                                      const chanrules_csv_options* options,
                                      chanrules_csv_result** out, chanrules_status** status);

typedef struct chanrules_csv_summary {
  uint64_t rows_in, rows_out, rows_rejected;
  uint64_t rows_with_missing; /* rows with a decision decided with missing data */
  const char* encoding;       /* "UTF-8" or "GB18030" */
} chanrules_csv_summary;

/* The classified CSV and the rejects CSV (header included), borrowed from the result. */
const char* chanrules_csv_result_output(const chanrules_csv_result* result, size_t* size);
const char* chanrules_csv_result_rejects(const chanrules_csv_result* result, size_t* size);
chanrules_code chanrules_csv_result_summary(const chanrules_csv_result* result,
                                            chanrules_csv_summary* out, chanrules_status** status);
size_t chanrules_csv_result_warning_count(const chanrules_csv_result* result);
chanrules_code chanrules_csv_result_warning(const chanrules_csv_result* result, size_t i,
                                            const char** text, chanrules_status** status);
void chanrules_csv_result_free(chanrules_csv_result* result);

/* ---- Explaining one record --------------------------------------------------------------- */

/* Why one record gets its classes, as JSON: {"problems": [...], "decisions": [{"name",
 * "outcome", "rule", "missing", "rules": [{"id", "condition", "result", "fired",
 * "conditions": [...]}]}]} (the `chanrules explain --json` format). The record is `count`
 * (field name, text) pairs read like CSV cells; fields not given are missing; unknown names
 * and unreadable values are listed in "problems". Free *json with chanrules_free. */
chanrules_code chanrules_explain_json(const chanrules_rules* rules, const char* const* names,
                                      const char* const* values, size_t count, char** json,
                                      chanrules_status** status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CHANRULES_CHANRULES_H */
