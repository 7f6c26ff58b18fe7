#pragma once
// Findings rendered for /advice (JSON, HTML) and for the `advise` subcommand (a text table). Pure functions:
// thread-safe. Each sorts a copy of its input with SortFindings (critical first, then rule id, subject kind,
// subject, cluster), so equal inputs give byte-identical outputs.

#include <string>
#include <vector>

#include "advice/finding.h"

namespace kpe::advice {

/// {"counts":{"critical":N,"warning":N,"info":N},"findings":[{"rule":"...","severity":"warning",
/// "subject_kind":"topic","subject":"...","cluster":"...","summary":"...","recommendation":"...",
/// "evidence":{"name":1.5,...}}, ...]}. Strings are JSON-escaped (control characters as \uXXXX); evidence
/// keys in name order; numbers in their shortest round-trip form; non-finite numbers as null.
std::string FindingsToJson(const std::vector<Finding>& findings);

/// A small self-contained HTML page: a heading with the counts and one table row per finding (severity,
/// rule, subject, cluster, summary, evidence, recommendation). Every text is HTML-escaped.
std::string FindingsToHtml(const std::vector<Finding>& findings);

/// A table for a terminal: a header line (SEVERITY RULE SUBJECT CLUSTER SUMMARY) and one line per finding,
/// columns left-aligned and padded with spaces to the widest cell, each followed by an indented "fix: ..."
/// line with the recommendation; then a line "N critical, N warning, N info". "no findings" when empty.
std::string FindingsToTable(const std::vector<Finding>& findings);

}  // namespace kpe::advice
