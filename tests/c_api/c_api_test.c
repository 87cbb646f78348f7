/* Tests of the C API (include/chanrules/chanrules.h), written in C and compiled as C99, so
 * the header is checked to be plain C and the library to link from C. Run by ctest from the
 * top of the repository (the shipped rule set is read from rules/channel-2009); in the
 * sanitizer build the same run checks that nothing leaks (LeakSanitizer).
 *
 * Covers: loading (path, string, errors with their location, I/O failures), the rule set's
 * metadata, classifying text and typed columns (validity bitmaps, codes, floats), rows judged
 * like CSV records (rejects, strict mode), explain as JSON, CSV buffers, diagnostics,
 * invalid arguments, and one rule set shared by several threads. */
#include <chanrules/chanrules.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks = 0;
static int failures = 0;
static chanrules_status* st = NULL; /* the status of the last call */

#define CHECK(cond)                                                            \
  do {                                                                         \
    ++checks;                                                                  \
    if (!(cond)) {                                                             \
      ++failures;                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

/* A call that must succeed (and leave no status behind). */
static int ok_at(chanrules_code code, const char* expr, int line) {
  ++checks;
  if (code == CHANRULES_OK && st == NULL) return 1;
  ++failures;
  fprintf(stderr, "%s:%d: %s failed with %d: %s\n", __FILE__, line, expr, (int)code,
          chanrules_status_message(st));
  chanrules_status_free(st);
  st = NULL;
  return 0;
}
#define OK(call) ok_at((call), #call, __LINE__)

/* A call that must fail with `want`, its status saying `needle`. The status is kept in `st`
 * for further checks; free it with drop(). */
static int fails_at(chanrules_code code, chanrules_code want, const char* needle, const char* expr,
                    int line) {
  ++checks;
  if (code == want && st != NULL && chanrules_status_code(st) == want &&
      strstr(chanrules_status_message(st), needle) != NULL)
    return 1;
  ++failures;
  fprintf(stderr, "%s:%d: %s: expected code %d with \"%s\", got %d: %s\n", __FILE__, line, expr,
          (int)want, needle, (int)code, chanrules_status_message(st));
  return 0;
}
#define FAILS(call, want, needle) fails_at((call), (want), (needle), #call, __LINE__)

static void drop(void) {
  chanrules_status_free(st);
  st = NULL;
}

/* ---- Building columns --------------------------------------------------------------------- */

enum { MAX_ROWS = 16, FIELDS = 13 };

static const char* const field_names[FIELDS] = {"customer_id",
                                                "customer_name",
                                                "network",
                                                "market_tier",
                                                "local_rank",
                                                "gsm_monthly_units",
                                                "se_permission",
                                                "coolpad_coop_months",
                                                "coolpad_continuous_pickup",
                                                "coolpad_avg_monthly_units",
                                                "segment",
                                                "operator",
                                                "operator_role"};

/* A UTF8 column built from C strings (NULL: not present). */
typedef struct text_column {
  int32_t offsets[MAX_ROWS + 1];
  char data[2048];
  uint8_t validity[(MAX_ROWS + 7) / 8];
} text_column;

static chanrules_column make_text(text_column* t, const char* name, const char* const* cells,
                                  size_t rows) {
  chanrules_column c;
  size_t i, used = 0;
  memset(t, 0, sizeof *t);
  for (i = 0; i < rows; ++i) {
    t->offsets[i] = (int32_t)used;
    if (cells[i]) {
      size_t n = strlen(cells[i]);
      memcpy(t->data + used, cells[i], n);
      used += n;
      t->validity[i / 8] |= (uint8_t)(1u << (i % 8));
    }
  }
  t->offsets[rows] = (int32_t)used;
  memset(&c, 0, sizeof c);
  c.name = name;
  c.type = CHANRULES_COLUMN_UTF8;
  c.offsets = t->offsets;
  c.data = t->data;
  c.validity = t->validity;
  return c;
}

/* Rows of text cells in field order; "" is a missing value. */
typedef const char* record[FIELDS];

/* Four customers whose classes are known (checked against `chanrules explain`). */
static const record known[4] = {
    /* R network, T3, rank 2, 650 GSM units: Samsung DKA. */
    {"C1", "\xe6\x9f\x90\xe6\x9f\x90\xe9\x80\x9a\xe8\xae\xaf" /* mou mou tong xun */, "R", "T3",
     "2", "650", "", "", "", "", "", "", ""},
    /* A Gome store (guo mei dian qi): the named account, account group GES. */
    {"C2", "\xe5\x9b\xbd\xe7\xbe\x8e\xe7\x94\xb5\xe5\x99\xa8", "R", "", "", "", "", "", "", "", "",
     "", ""},
    /* China Mobile city company: the operator class CMCC. */
    {"C3", "x", "O", "", "", "", "", "", "", "", "", "CMCC", "city_company"},
    /* Coolpad IKA: 12 months, continuous pickup (shi, "yes"), 600.5 units a month. */
    {"C4", "x", "R", "T2", "1", "100", "", "12", "\xe6\x98\xaf", "600.5", "", "", ""}};

/* Expected (decision, outcome, rule) for the rows above, by decision name. */
typedef struct expectation {
  size_t row;
  const char* decision;
  const char* outcome;
  const char* rule;
} expectation;

static const expectation expected[] = {
    {0, "samsung_class", "DKA", "dka"},
    {0, "se_class", "DSA", "default"},
    {0, "coolpad_class", "DSA", "default"},
    {0, "account_group", "", ""},
    {0, "channel_family", "traditional", "traditional"},
    {1, "samsung_class", "\xe5\x9b\xbd\xe7\xbe\x8e", "named-account"},
    {1, "account_group", "GES", "ges"},
    {2, "samsung_class", "CMCC", "o-network"},
    {2, "o_class", "CMCC", "o-cmcc"},
    {2, "channel_family", "operator", "operator"},
    {3, "coolpad_class", "IKA", "ika"},
    {3, "samsung_class", "DSA", "default"}};

/* Text columns for `rows` records (all 13 fields). */
typedef struct text_table {
  text_column cols[FIELDS];
  chanrules_column columns[FIELDS];
} text_table;

static void make_table(text_table* t, const record* rows, size_t n) {
  size_t f, r;
  for (f = 0; f < FIELDS; ++f) {
    const char* cells[MAX_ROWS];
    for (r = 0; r < n; ++r) cells[r] = rows[r][f][0] ? rows[r][f] : NULL;
    t->columns[f] = make_text(&t->cols[f], field_names[f], cells, n);
  }
}

static size_t decision(const chanrules_rules* rules, const char* name) {
  size_t d = (size_t)-1;
  OK(chanrules_rules_decision_index(rules, name, &d, &st));
  return d;
}

static void check_expected(const chanrules_rules* rules, const chanrules_result* result) {
  size_t i;
  for (i = 0; i < sizeof expected / sizeof expected[0]; ++i) {
    const expectation* e = &expected[i];
    const char* outcome = NULL;
    const char* rule = NULL;
    size_t d = decision(rules, e->decision);
    if (!OK(chanrules_result_outcome(result, d, e->row, &outcome, &st))) continue;
    if (!OK(chanrules_result_rule_id(result, d, e->row, &rule, &st))) continue;
    if (strcmp(outcome, e->outcome) != 0 || strcmp(rule, e->rule) != 0) {
      ++failures;
      fprintf(stderr, "row %zu %s: got %s [%s], expected %s [%s]\n", e->row, e->decision, outcome,
              rule, e->outcome, e->rule);
    }
    ++checks;
  }
}

/* Two results agree on every decision, row, rule and missing field. */
static int same_results(const chanrules_rules* rules, const chanrules_result* a,
                        const chanrules_result* b) {
  size_t d, r, decisions = chanrules_rules_decision_count(rules);
  size_t rows = chanrules_result_rows(a);
  if (rows != chanrules_result_rows(b)) return 0;
  for (d = 0; d < decisions; ++d) {
    const uint16_t *ca, *cb, *ra, *rb;
    if (!OK(chanrules_result_outcome_codes(a, d, &ca, &st))) return 0;
    if (!OK(chanrules_result_outcome_codes(b, d, &cb, &st))) return 0;
    if (!OK(chanrules_result_rule_indices(a, d, &ra, &st))) return 0;
    if (!OK(chanrules_result_rule_indices(b, d, &rb, &st))) return 0;
    for (r = 0; r < rows; ++r) {
      size_t fa[FIELDS], fb[FIELDS], na = 0, nb = 0;
      if (ca[r] != cb[r] || ra[r] != rb[r]) return 0;
      if (!OK(chanrules_result_missing_fields(a, d, r, fa, FIELDS, &na, &st))) return 0;
      if (!OK(chanrules_result_missing_fields(b, d, r, fb, FIELDS, &nb, &st))) return 0;
      if (na != nb || memcmp(fa, fb, na * sizeof fa[0]) != 0) return 0;
    }
  }
  return 1;
}

/* ---- Tests -------------------------------------------------------------------------------- */

static chanrules_rules* load_2009(void) {
  chanrules_rules* rules = NULL;
  if (!OK(chanrules_load("rules/channel-2009", NULL, &rules, &st))) {
    fprintf(stderr, "cannot continue without the shipped rule set (run from the repository)\n");
    exit(1);
  }
  return rules;
}

static void test_metadata(const chanrules_rules* rules) {
  chanrules_field_info fi;
  chanrules_decision_info di;
  const char* s = NULL;
  size_t i, outputs = 0;
  const chanrules_diagnostic* diag = NULL;
  const chanrules_diagnostics* warnings = chanrules_rules_diagnostics(rules);

  CHECK(strcmp(chanrules_rules_name(rules), "channel-2009") == 0);
  CHECK(strcmp(chanrules_version(), "0.1.0") == 0);
  CHECK(chanrules_rules_field_count(rules) == FIELDS);
  for (i = 0; i < FIELDS; ++i)
    if (OK(chanrules_rules_field(rules, i, &fi, &st))) CHECK(strcmp(fi.name, field_names[i]) == 0);
  OK(chanrules_rules_field(rules, 2, &fi, &st));
  CHECK(fi.type == CHANRULES_FIELD_ENUM && fi.required && !fi.unique && fi.value_count == 4);
  OK(chanrules_rules_field_value(rules, 2, 3, &s, &st));
  CHECK(strcmp(s, "O") == 0);
  OK(chanrules_rules_field(rules, 0, &fi, &st));
  CHECK(fi.type == CHANRULES_FIELD_STRING && fi.required && fi.unique);
  OK(chanrules_rules_field(rules, 1, &fi, &st));
  CHECK(fi.type == CHANRULES_FIELD_STRING && fi.required && !fi.trim); /* names keep blanks */
  OK(chanrules_rules_field(rules, 8, &fi, &st));
  CHECK(fi.type == CHANRULES_FIELD_BOOLEAN);
  OK(chanrules_rules_field(rules, 9, &fi, &st));
  CHECK(fi.type == CHANRULES_FIELD_DECIMAL);
  FAILS(chanrules_rules_field_value(rules, 0, 0, &s, &st), CHANRULES_INVALID_ARGUMENT,
        "not an enum field");
  drop();
  FAILS(chanrules_rules_field(rules, FIELDS, &fi, &st), CHANRULES_INVALID_ARGUMENT,
        "field 13 is out of range");
  drop();
  FAILS(chanrules_rules_field_index(rules, "nosuch", &i, &st), CHANRULES_INVALID_ARGUMENT,
        "no field 'nosuch'");
  drop();

  for (i = 0; i < chanrules_rules_decision_count(rules); ++i)
    if (OK(chanrules_rules_decision(rules, i, &di, &st)) && di.is_output) ++outputs;
  CHECK(outputs == 5);
  OK(chanrules_rules_decision(rules, decision(rules, "samsung_class"), &di, &st));
  CHECK(strcmp(di.name, "samsung_class") == 0 && di.is_output && di.outcome_count > 5);
  OK(chanrules_rules_rule_id(rules, decision(rules, "samsung_class"), 0, &s, &st));
  CHECK(strlen(s) > 0);
  OK(chanrules_rules_outcome_label(rules, decision(rules, "account_group"), 0, &s, &st));
  CHECK(strcmp(s, "GES") == 0);

  /* The shipped rule set loads with two warnings about list rows. */
  CHECK(chanrules_diagnostics_count(warnings) == 2);
  if (OK(chanrules_diagnostics_get(warnings, 0, &diag, &st))) {
    CHECK(diag->severity == CHANRULES_SEVERITY_WARNING);
    CHECK(strcmp(diag->code, "W-list-value") == 0);
    CHECK(strstr(diag->file, "samsung.csv") != NULL && diag->line == 28 && diag->column == 1);
    CHECK(strstr(diag->formatted, "warning: row ignored") != NULL);
  }
  /* The rule set's files: the YAML, its tests, its two lists. */
  CHECK(chanrules_rules_source_file_count(rules) == 4);
  if (OK(chanrules_rules_source_file(rules, 0, &s, &st))) CHECK(strstr(s, "ruleset.yaml") != NULL);
  CHECK(strcmp(chanrules_rules_base_dir(rules), "rules/channel-2009") == 0);
}

static const char tiny_yaml[] =
    "chanrules: 1\n"
    "name: tiny\n"
    "version: \"1\"\n"
    "fields:\n"
    "  id: {type: string, required: true}\n"
    "  n: {type: integer}\n"
    "decisions:\n"
    "  size:\n"
    "    rules:\n"
    "      - id: big\n"
    "        when: n >= 10\n"
    "        then: BIG\n"
    "    default: SMALL\n";

static void test_load_errors(void) {
  chanrules_rules* rules = NULL;
  chanrules_diagnostics* all = NULL;
  const chanrules_diagnostic* d = NULL;
  char bad[sizeof tiny_yaml];
  char* json = NULL;

  /* A valid rule set from a string. */
  if (OK(chanrules_load_string(tiny_yaml, strlen(tiny_yaml), "tiny.yaml", NULL, NULL, &rules,
                               &st))) {
    CHECK(strcmp(chanrules_rules_name(rules), "tiny") == 0);
    CHECK(chanrules_rules_field_count(rules) == 2);
    chanrules_rules_free(rules);
  }

  /* An unknown name: refused, with the place of the error. */
  memcpy(bad, tiny_yaml, sizeof tiny_yaml);
  *strstr(bad, "n >= 10") = 'm';
  rules = (chanrules_rules*)1;
  if (FAILS(chanrules_load_string(bad, strlen(bad), "bad.yaml", ".", NULL, &rules, &st),
            CHANRULES_RULE_ERRORS, "bad.yaml:11:15: error: unknown name 'm' [E-unknown-name]")) {
    /* Keep the failed load's status: the calls below report through `st`. */
    chanrules_status* failed = st;
    const chanrules_diagnostics* diags = chanrules_status_diagnostics(failed);
    st = NULL;
    CHECK(rules == NULL);
    CHECK(strcmp(chanrules_status_file(failed), "bad.yaml") == 0);
    CHECK(chanrules_status_line(failed) == 11 && chanrules_status_column(failed) == 15);
    CHECK(chanrules_diagnostics_count(diags) == 1);
    if (OK(chanrules_diagnostics_get(diags, 0, &d, &st)))
      CHECK(strcmp(d->hint, "did you mean 'n'?") == 0 && d->caret_length == 1);
    if (OK(chanrules_diagnostics_json(diags, &json, &st))) {
      CHECK(strstr(json, "\"code\":\"E-unknown-name\"") != NULL);
      chanrules_free(json);
    }
    FAILS(chanrules_diagnostics_get(diags, 1, &d, &st), CHANRULES_INVALID_ARGUMENT,
          "diagnostic 1 is out of range");
    drop();
    st = failed;
  }
  drop();

  /* A YAML syntax error. */
  FAILS(chanrules_load_string("a: [", 4, "broken.yaml", ".", NULL, &rules, &st),
        CHANRULES_RULE_ERRORS, "broken.yaml:");
  drop();

  /* A path that does not exist is an I/O failure. */
  FAILS(chanrules_load("no/such/rules", NULL, &rules, &st), CHANRULES_IO_ERROR,
        "cannot read the rule set");
  CHECK(strstr(chanrules_status_file(st), "no/such/rules") != NULL);
  drop();

  /* check() reports on a rule set whether or not it loads. */
  if (OK(chanrules_check("rules/channel-2009", NULL, &all, &st))) {
    CHECK(chanrules_diagnostics_count(all) == 2);
    chanrules_diagnostics_free(all);
  }
  if (OK(chanrules_check("no/such/rules", NULL, &all, &st))) {
    CHECK(chanrules_diagnostics_count(all) == 1);
    chanrules_diagnostics_free(all);
  }

  /* Without a status pointer the code still tells. */
  CHECK(chanrules_load("no/such/rules", NULL, &rules, NULL) == CHANRULES_IO_ERROR);
  CHECK(chanrules_status_code(NULL) == CHANRULES_OK);
  CHECK(strcmp(chanrules_status_message(NULL), "") == 0);
}

static void test_text_columns(const chanrules_rules* rules) {
  static text_table t;
  chanrules_result* result = NULL;
  size_t fields[FIELDS], n = 0;
  make_table(&t, known, 4);
  if (!OK(chanrules_classify_columns(rules, t.columns, FIELDS, 4, NULL, &result, &st))) return;
  CHECK(chanrules_result_rows(result) == 4);
  CHECK(chanrules_result_rejected_rows(result) == 0);
  CHECK(chanrules_result_warning_count(result) == 0);
  check_expected(rules, result);
  /* Row 0 has no Coolpad data: its Coolpad class was decided with three fields missing. */
  if (OK(chanrules_result_missing_fields(result, decision(rules, "coolpad_class"), 0, fields,
                                         FIELDS, &n, &st))) {
    CHECK(n == 3);
    CHECK(n == 3 && fields[0] == 7 && fields[1] == 8 && fields[2] == 9);
  }
  /* A capacity of 0 only counts. */
  OK(chanrules_result_missing_fields(result, decision(rules, "coolpad_class"), 0, NULL, 0, &n,
                                     &st));
  CHECK(n == 3);
  FAILS(chanrules_result_outcome_codes(result, 99, NULL, &st), CHANRULES_INVALID_ARGUMENT,
        "is NULL");
  drop();
  {
    const char* label = NULL;
    FAILS(chanrules_result_outcome(result, 0, 4, &label, &st), CHANRULES_INVALID_ARGUMENT,
          "row 4 is out of range");
    drop();
  }
  chanrules_result_free(result);
}

/* The same records as typed arrays: integers with a validity bitmap, floats with NaN,
 * booleans, enum codes. Must give exactly the text columns' results. */
static void test_typed_columns(const chanrules_rules* rules) {
  static text_table t;
  chanrules_column cols[FIELDS];
  chanrules_result *by_text = NULL, *typed = NULL;
  /* local_rank: present in rows 0 and 3 only. */
  int64_t rank[4] = {2, 0, 0, 1};
  uint8_t rank_valid[1] = {0x9};
  double gsm[4] = {650, NAN, NAN, 100};
  int64_t coop[4] = {0, 0, 0, 12};
  uint8_t coop_valid[1] = {0x8};
  uint8_t pickup[4] = {0, 0, 0, 1};
  uint8_t pickup_valid[1] = {0x8};
  double avg[4] = {NAN, NAN, NAN, 600.5};
  uint16_t network[4] = {2, 2, 3, 2}; /* S W R O: R = 2, O = 3 */
  uint16_t tier[4] = {2, CHANRULES_NO_CODE, CHANRULES_NO_CODE, 1};
  size_t f;

  make_table(&t, known, 4);
  if (!OK(chanrules_classify_columns(rules, t.columns, FIELDS, 4, NULL, &by_text, &st))) return;
  for (f = 0; f < FIELDS; ++f) cols[f] = t.columns[f];
  memset(&cols[2], 0, sizeof cols[2]);
  cols[2].name = "network";
  cols[2].type = CHANRULES_COLUMN_CODE16;
  cols[2].values = network;
  memset(&cols[3], 0, sizeof cols[3]);
  cols[3].name = "market_tier";
  cols[3].type = CHANRULES_COLUMN_CODE16;
  cols[3].values = tier;
  memset(&cols[4], 0, sizeof cols[4]);
  cols[4].name = "local_rank";
  cols[4].type = CHANRULES_COLUMN_INT64;
  cols[4].values = rank;
  cols[4].validity = rank_valid;
  memset(&cols[5], 0, sizeof cols[5]);
  cols[5].name = "gsm_monthly_units";
  cols[5].type = CHANRULES_COLUMN_FLOAT64;
  cols[5].values = gsm;
  memset(&cols[7], 0, sizeof cols[7]);
  cols[7].name = "coolpad_coop_months";
  cols[7].type = CHANRULES_COLUMN_INT64;
  cols[7].values = coop;
  cols[7].validity = coop_valid;
  memset(&cols[8], 0, sizeof cols[8]);
  cols[8].name = "coolpad_continuous_pickup";
  cols[8].type = CHANRULES_COLUMN_BOOL8;
  cols[8].values = pickup;
  cols[8].validity = pickup_valid;
  memset(&cols[9], 0, sizeof cols[9]);
  cols[9].name = "coolpad_avg_monthly_units";
  cols[9].type = CHANRULES_COLUMN_FLOAT64;
  cols[9].values = avg;
  if (OK(chanrules_classify_columns(rules, cols, FIELDS, 4, NULL, &typed, &st))) {
    CHECK(chanrules_result_rejected_rows(typed) == 0);
    CHECK(same_results(rules, by_text, typed));
    check_expected(rules, typed);
    chanrules_result_free(typed);
  }

  /* Values the fields do not take are rejects, not errors. */
  rank[1] = 0;
  rank_valid[0] = 0xB; /* row 1: local_rank 0, below the minimum 1 */
  gsm[2] = 2.5;        /* row 2: not a whole number */
  avg[3] = INFINITY;   /* row 3: not a decimal */
  network[0] = 9;      /* row 0: not a network code */
  if (OK(chanrules_classify_columns(rules, cols, FIELDS, 4, NULL, &typed, &st))) {
    const char* reason = NULL;
    size_t at = 0, r;
    CHECK(chanrules_result_rejected_rows(typed) == 4);
    for (r = 0; r < 4; ++r) {
      const uint16_t* codes = NULL;
      OK(chanrules_result_outcome_codes(typed, decision(rules, "samsung_class"), &codes, &st));
      CHECK(codes && codes[r] == CHANRULES_NO_OUTCOME);
    }
    OK(chanrules_result_reject(typed, 0, &reason, &at, &st));
    CHECK(reason && strstr(reason, "code 9 is not a value") && at == 2);
    OK(chanrules_result_reject(typed, 1, &reason, &at, &st));
    CHECK(reason && strstr(reason, "outside the field's range") && at == 4);
    OK(chanrules_result_reject(typed, 2, &reason, &at, &st));
    CHECK(reason && strcmp(reason, "2.5 is not a whole number") == 0 && at == 5);
    OK(chanrules_result_reject(typed, 3, &reason, &at, &st));
    CHECK(reason && strstr(reason, "infinite") && at == 9);
    chanrules_result_free(typed);
  }

  /* A column type a field does not take is the caller's mistake. */
  cols[4].type = CHANRULES_COLUMN_BOOL8;
  FAILS(chanrules_classify_columns(rules, cols, FIELDS, 4, NULL, &typed, &st),
        CHANRULES_INVALID_ARGUMENT, "column 'local_rank' is BOOL8");
  CHECK(typed == NULL);
  drop();
  cols[4].type = CHANRULES_COLUMN_INT64;
  cols[2].type = CHANRULES_COLUMN_INT64;
  FAILS(chanrules_classify_columns(rules, cols, FIELDS, 4, NULL, &typed, &st),
        CHANRULES_INVALID_ARGUMENT, "give the labels as text");
  drop();
  chanrules_result_free(by_text);
}

/* Rows are judged like CSV records: a repeated id, an unreadable value, a required value
 * missing. Strict mode turns the first into an error. */
static void test_rejects(const chanrules_rules* rules) {
  static text_table t;
  static const record rows[7] = {{"C1", "a", "R", "T3", "2", "650", "", "", "", "", "", "", ""},
                                 {"C2", "b", "X", "", "", "", "", "", "", "", "", "", ""},
                                 {" C1 ", "c", "R", "", "", "", "", "", "", "", "", "", ""},
                                 {"C3", "", "R", "", "", "", "", "", "", "", "", "", ""},
                                 {"C4", "d", "R", "", "0", "", "", "", "", "", "", "", ""},
                                 {"C2", "e", "W", "", "", "", "", "", "", "", "", "", ""},
                                 {"C1", "f", "R", "", "abc", "", "", "", "", "", "", "", ""}};
  static const struct {
    size_t row, field;
    const char* reason;
  } want[] = {{1, 2, "'X' is not one of: S W R O"},
              {2, 0, "duplicate customer_id 'C1' (first accepted in row 0)"},
              {3, 1, "a value is required"},
              {4, 4, "'0' is below the minimum 1"},
              {6, 0, "duplicate customer_id 'C1'"}};
  chanrules_result* result = NULL;
  chanrules_classify_options strict = {CHANRULES_CLASSIFY_STRICT};
  chanrules_classify_options no_unique = {CHANRULES_CLASSIFY_NO_UNIQUE_CHECK};
  size_t i;

  make_table(&t, rows, 7);
  if (OK(chanrules_classify_columns(rules, t.columns, FIELDS, 7, NULL, &result, &st))) {
    const char* reason = NULL;
    const char* label = NULL;
    size_t at = 0;
    CHECK(chanrules_result_rejected_rows(result) == 5);
    for (i = 0; i < sizeof want / sizeof want[0]; ++i) {
      OK(chanrules_result_reject(result, want[i].row, &reason, &at, &st));
      CHECK(reason != NULL && strstr(reason, want[i].reason) == reason && at == want[i].field);
      if (!reason || strstr(reason, want[i].reason) != reason)
        fprintf(stderr, "row %zu: reason %s\n", want[i].row, reason ? reason : "(none)");
    }
    /* C2 was rejected in row 1, so row 5 may use it. */
    OK(chanrules_result_reject(result, 5, &reason, &at, &st));
    CHECK(reason == NULL && at == (size_t)-1);
    OK(chanrules_result_outcome(result, decision(rules, "channel_family"), 5, &label, &st));
    CHECK(strcmp(label, "traditional") == 0);
    OK(chanrules_result_outcome(result, decision(rules, "samsung_class"), 0, &label, &st));
    CHECK(strcmp(label, "DKA") == 0);
    OK(chanrules_result_rule_id(result, decision(rules, "samsung_class"), 1, &label, &st));
    CHECK(strcmp(label, "") == 0);
    chanrules_result_free(result);
  }

  if (FAILS(chanrules_classify_columns(rules, t.columns, FIELDS, 7, &strict, &result, &st),
            CHANRULES_DATA_ERROR, "row 1, field 'network': 'X' is not one of")) {
    CHECK(chanrules_status_row(st) == 1);
    CHECK(strcmp(chanrules_status_field(st), "network") == 0);
  }
  drop();

  if (OK(chanrules_classify_columns(rules, t.columns, FIELDS, 7, &no_unique, &result, &st))) {
    CHECK(chanrules_result_rejected_rows(result) == 4); /* row 6's bad rank remains */
    chanrules_result_free(result);
  }
}

static void test_bad_columns(const chanrules_rules* rules) {
  static text_table t;
  chanrules_column cols[FIELDS + 1];
  chanrules_result* result = NULL;
  const char* text = NULL;
  size_t f;

  make_table(&t, known, 4);
  for (f = 0; f < FIELDS; ++f) cols[f] = t.columns[f];

  FAILS(chanrules_classify_columns(NULL, cols, FIELDS, 4, NULL, &result, &st),
        CHANRULES_INVALID_ARGUMENT, "the rule set is NULL");
  drop();
  FAILS(chanrules_classify_columns(rules, cols, FIELDS, 4, NULL, NULL, &st),
        CHANRULES_INVALID_ARGUMENT, "the output pointer is NULL");
  drop();
  cols[FIELDS] = cols[3];
  FAILS(chanrules_classify_columns(rules, cols, FIELDS + 1, 4, NULL, &result, &st),
        CHANRULES_INVALID_ARGUMENT, "the column 'market_tier' is given twice");
  drop();
  cols[FIELDS].name = "nosuch";
  FAILS(chanrules_classify_columns(rules, cols, FIELDS + 1, 4, NULL, &result, &st),
        CHANRULES_INVALID_ARGUMENT, "column 'nosuch' is not a field of the rule set channel-2009");
  drop();

  /* Without a required column: nothing can be classified. */
  if (FAILS(chanrules_classify_columns(rules, cols + 1, FIELDS - 1, 4, NULL, &result, &st),
            CHANRULES_DATA_ERROR, "no column 'customer_id', which the rule set requires"))
    CHECK(strcmp(chanrules_status_field(st), "customer_id") == 0);
  drop();
  /* Without an optional one: every row misses it, and the result says so. */
  if (OK(chanrules_classify_columns(rules, cols, FIELDS - 1, 4, NULL, &result, &st))) {
    CHECK(chanrules_result_warning_count(result) == 1);
    OK(chanrules_result_warning(result, 0, &text, &st));
    CHECK(strstr(text, "no column 'operator_role'") != NULL);
    chanrules_result_free(result);
  }

  /* Offsets must not go backwards. */
  t.cols[1].offsets[2] = t.cols[1].offsets[1] - 1;
  FAILS(chanrules_classify_columns(rules, cols, FIELDS, 4, NULL, &result, &st),
        CHANRULES_INVALID_ARGUMENT, "column 'customer_name': offsets 1 and 2");
  drop();

  /* Text must be UTF-8: a bad cell rejects its row. */
  make_table(&t, known, 4);
  t.cols[1].data[t.cols[1].offsets[2]] = (char)0xFF;
  if (OK(chanrules_classify_columns(rules, t.columns, FIELDS, 4, NULL, &result, &st))) {
    const char* reason = NULL;
    OK(chanrules_result_reject(result, 2, &reason, NULL, &st));
    CHECK(reason && strcmp(reason, "the value is not valid UTF-8") == 0);
    CHECK(chanrules_result_rejected_rows(result) == 1);
    chanrules_result_free(result);
  }

  /* No rows at all is fine. */
  if (OK(chanrules_classify_columns(rules, t.columns, FIELDS, 0, NULL, &result, &st))) {
    CHECK(chanrules_result_rows(result) == 0);
    chanrules_result_free(result);
  }
}

static void test_explain(const chanrules_rules* rules) {
  const char* names[] = {"customer_id", "customer_name",     "network", "market_tier",
                         "local_rank",  "gsm_monthly_units", "nosuch"};
  const char* values[] = {"C1", "x", "R", "T3", "2", "650", "1"};
  char* json = NULL;
  if (OK(chanrules_explain_json(rules, names, values, 7, &json, &st))) {
    CHECK(strstr(json, "{\"problems\":[\"unknown field 'nosuch'\"]") == json);
    CHECK(strstr(json, "{\"name\":\"samsung_class\",\"outcome\":\"DKA\",\"rule\":\"dka\"") != NULL);
    chanrules_free(json);
  }
  FAILS(chanrules_explain_json(rules, NULL, values, 1, &json, &st), CHANRULES_INVALID_ARGUMENT,
        "the field names is NULL");
  CHECK(json == NULL);
  drop();
}

static void test_csv(const chanrules_rules* rules) {
  static const char input[] =
      "customer_id,customer_name,network,market_tier,local_rank,gsm_monthly_units,extra\r\n"
      "C1,\"a, b\",R,T3,2,650,keep me\r\n"
      "C2,b,X,,,,\r\n"
      "C1,c,W,,,,\r\n";
  static const char long_name[] =
      "customer_id,customer_name,network,market_tier,local_rank,gsm_monthly_units\n"
      "C1,Guangzhou Tianhe Phone Company,R,T3,2,650\n";
  chanrules_csv_options options;
  chanrules_csv_result* result = NULL;
  chanrules_csv_summary summary;
  const char* decisions[] = {"samsung_class", "channel_family"};
  const char* out;
  size_t size = 0;

  memset(&options, 0, sizeof options);
  options.flags = CHANRULES_CSV_REASONS;
  options.decisions = decisions;
  options.decision_count = 2;
  if (OK(chanrules_classify_csv(rules, input, sizeof input - 1, &options, &result, &st))) {
    out = chanrules_csv_result_output(result, &size);
    CHECK(size == strlen(out));
    CHECK(strcmp(out,
                 "customer_id,customer_name,network,market_tier,local_rank,gsm_monthly_units,"
                 "extra,samsung_class,samsung_class_rule,samsung_class_missing,channel_family,"
                 "channel_family_rule,channel_family_missing\n"
                 "C1,\"a, b\",R,T3,2,650,keep me,DKA,dka,,traditional,traditional,\n") == 0);
    out = chanrules_csv_result_rejects(result, &size);
    CHECK(strstr(out, "line,column,reason,record\n3,network,") == out);
    CHECK(strstr(out, "4,customer_id,duplicate customer_id") != NULL);
    OK(chanrules_csv_result_summary(result, &summary, &st));
    CHECK(summary.rows_in == 3 && summary.rows_out == 1 && summary.rows_rejected == 2);
    CHECK(strcmp(summary.encoding, "UTF-8") == 0);
    CHECK(chanrules_csv_result_warning_count(result) == 7); /* the optional columns absent */
    chanrules_csv_result_free(result);
  }

  options.flags = CHANRULES_CSV_MAX_REJECTS;
  options.max_rejects = 1;
  FAILS(chanrules_classify_csv(rules, input, sizeof input - 1, &options, &result, &st),
        CHANRULES_DATA_ERROR, "more than 1 rows rejected");
  drop();

  /* Lowered limits: a 30-byte name is over a 20-byte field limit (the header's longest
   * name has 17); its record is rejected, naming the column and the limit. Raised again,
   * the same record is accepted. */
  memset(&options, 0, sizeof options);
  options.flags = CHANRULES_CSV_LIMITS;
  options.max_field_size = 20;
  options.max_record_size = 1000;
  options.max_fields = 100;
  if (OK(chanrules_classify_csv(rules, long_name, sizeof long_name - 1, &options, &result, &st))) {
    out = chanrules_csv_result_rejects(result, &size);
    CHECK(strstr(out,
                 "\n2,customer_name,\"field 2: longer than max_field_size (20 bytes); if such "
                 "records are genuine, raise --max-field-bytes "
                 "(csv_options::max_field_size)\",\n") != NULL);
    OK(chanrules_csv_result_summary(result, &summary, &st));
    CHECK(summary.rows_in == 1 && summary.rows_out == 0 && summary.rows_rejected == 1);
    chanrules_csv_result_free(result);
  }
  options.max_field_size = 30;
  if (OK(chanrules_classify_csv(rules, long_name, sizeof long_name - 1, &options, &result, &st))) {
    OK(chanrules_csv_result_summary(result, &summary, &st));
    CHECK(summary.rows_in == 1 && summary.rows_out == 1 && summary.rows_rejected == 0);
    chanrules_csv_result_free(result);
  }
  options.max_fields = 0;
  FAILS(chanrules_classify_csv(rules, input, sizeof input - 1, &options, &result, &st),
        CHANRULES_INVALID_ARGUMENT, "must be at least 1");
  CHECK(result == NULL);
  drop();

  FAILS(chanrules_classify_csv(rules, "a,b\n1,2\n", 8, NULL, &result, &st), CHANRULES_DATA_ERROR,
        "the header has no column 'customer_id'");
  CHECK(result == NULL);
  drop();
  FAILS(chanrules_classify_csv(rules, "", 0, NULL, &result, &st), CHANRULES_DATA_ERROR,
        "the input is empty");
  drop();
}

/* ---- One rule set, several threads ----------------------------------------------------------- */

enum { THREADS = 4, ROUNDS = 25, WIDE = MAX_ROWS };

typedef struct thread_job {
  const chanrules_rules* rules;
  const chanrules_result* reference;
  const chanrules_column* columns;
  int mismatches;
  int errors;
} thread_job;

static void* classify_many(void* arg) {
  thread_job* job = (thread_job*)arg;
  int round;
  for (round = 0; round < ROUNDS; ++round) {
    chanrules_result* r = NULL;
    chanrules_status* s = NULL;
    const uint16_t *a = NULL, *b = NULL;
    size_t d, row, decisions = chanrules_rules_decision_count(job->rules);
    if (chanrules_classify_columns(job->rules, job->columns, FIELDS, WIDE, NULL, &r, &s) !=
        CHANRULES_OK) {
      ++job->errors;
      chanrules_status_free(s);
      continue;
    }
    for (d = 0; d < decisions; ++d) {
      chanrules_result_outcome_codes(r, d, &a, NULL);
      chanrules_result_outcome_codes(job->reference, d, &b, NULL);
      for (row = 0; row < WIDE; ++row) job->mismatches += a[row] != b[row];
    }
    chanrules_result_free(r);
  }
  return NULL;
}

static void test_threads(const chanrules_rules* rules) {
  static text_table t;
  static record rows[WIDE];
  static char ids[WIDE][8];
  chanrules_result* reference = NULL;
  pthread_t threads[THREADS];
  thread_job jobs[THREADS];
  int i, f;
  for (i = 0; i < WIDE; ++i) {
    for (f = 0; f < FIELDS; ++f) rows[i][f] = known[i % 4][f];
    sprintf(ids[i], "T%d", i);
    rows[i][0] = ids[i];
  }
  make_table(&t, (const record*)rows, WIDE);
  if (!OK(chanrules_classify_columns(rules, t.columns, FIELDS, WIDE, NULL, &reference, &st)))
    return;
  for (i = 0; i < THREADS; ++i) {
    jobs[i].rules = rules;
    jobs[i].reference = reference;
    jobs[i].columns = t.columns;
    jobs[i].mismatches = 0;
    jobs[i].errors = 0;
    CHECK(pthread_create(&threads[i], NULL, classify_many, &jobs[i]) == 0);
  }
  for (i = 0; i < THREADS; ++i) {
    pthread_join(threads[i], NULL);
    CHECK(jobs[i].mismatches == 0 && jobs[i].errors == 0);
  }
  chanrules_result_free(reference);
}

int main(void) {
  chanrules_rules* rules = load_2009();
  chanrules_result* kept = NULL;
  static text_table t;

  test_metadata(rules);
  test_load_errors();
  test_text_columns(rules);
  test_typed_columns(rules);
  test_rejects(rules);
  test_bad_columns(rules);
  test_explain(rules);
  test_csv(rules);
  test_threads(rules);

  /* A result outlives the rule set it came from. */
  make_table(&t, known, 4);
  OK(chanrules_classify_columns(rules, t.columns, FIELDS, 4, NULL, &kept, &st));
  chanrules_rules_free(rules);
  if (kept) {
    const char* label = NULL;
    OK(chanrules_result_outcome(kept, 6, 0, &label, &st));
    CHECK(label != NULL);
    chanrules_result_free(kept);
  }
  /* Freeing NULL is fine. */
  chanrules_rules_free(NULL);
  chanrules_result_free(NULL);
  chanrules_status_free(NULL);
  chanrules_csv_result_free(NULL);
  chanrules_diagnostics_free(NULL);
  chanrules_free(NULL);

  printf("c_api_test: %d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}
