/*
 * Spans of JSON text, for the server's dialects that carry JSON: where one value ends, so that a
 * message's parts can be copied into an answer as they came, with no tree built and nothing
 * allocated. It checks the shape (strings closed, brackets matched, literals of JSON's letters),
 * not every rule of RFC 8259 (a number's digits, a string's escapes).
 */
#ifndef C1M_JSON_SPAN_H
#define C1M_JSON_SPAN_H

#include <stddef.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

/* The first byte at or after at that is not JSON whitespace. */
static inline size_t json_skip_space(const char *s, size_t len, size_t at) {
  while (at < len && (s[at] == ' ' || s[at] == '\t' || s[at] == '\n' || s[at] == '\r')) at++;
  return at;
}

/* Where the string that opens at s[at] (a quote) ends: the index after its closing quote, or 0. */
static inline size_t json_string_end(const char *s, size_t len, size_t at) {
  for (size_t i = at + 1; i < len; i++) {
    if (s[i] == '\\') i++;
    else if (s[i] == '"') return i + 1;
    else if ((unsigned char)s[i] < 0x20) return 0;
  }
  return 0;
}

/*
 * Where the value that starts at s[at] (no whitespace before it) ends: the index after it, or 0
 * when there is no whole value there.
 */
static inline size_t json_value_end(const char *s, size_t len, size_t at) {
  if (at >= len) return 0;
  if (s[at] == '"') return json_string_end(s, len, at);
  if (s[at] != '{' && s[at] != '[') {
    size_t i = at;
    while (i < len && strchr("0123456789+-.eEtruefalsn", s[i]) && s[i]) i++;
    return i > at ? i : 0;
  }
  char open[JSON_MAX_DEPTH];
  int depth = 0;
  for (size_t i = at; i < len; i++) {
    char c = s[i];
    if (c == '"') {
      size_t end = json_string_end(s, len, i);
      if (!end) return 0;
      i = end - 1;
    } else if (c == '{' || c == '[') {
      if (depth == JSON_MAX_DEPTH) return 0;
      open[depth++] = c;
    } else if (c == '}' || c == ']') {
      if (depth == 0 || open[depth - 1] != (c == '}' ? '{' : '[')) return 0;
      if (--depth == 0) return i + 1;
    }
  }
  return 0;
}

/* One value of a JSON text: where it starts and how long it is. */
struct json_span { const char *at; size_t len; };

/* Whether a span is exactly the given JSON text (a string with its quotes, null, ...). */
static inline int json_is(struct json_span v, const char *text) {
  size_t n = strlen(text);
  return v.len == n && memcmp(v.at, text, n) == 0;
}

/*
 * The elements of the JSON array that is all of s (whitespace around it allowed): up to max
 * spans into out. Returns how many there are, or -1 when s is not one array or has more than max.
 */
static inline int json_array(const char *s, size_t len, struct json_span *out, int max) {
  size_t at = json_skip_space(s, len, 0);
  if (at >= len || s[at] != '[') return -1;
  at = json_skip_space(s, len, at + 1);
  int n = 0;
  if (at < len && s[at] == ']') return json_skip_space(s, len, at + 1) == len ? 0 : -1;
  for (;;) {
    size_t end = json_value_end(s, len, at);
    if (!end || n == max) return -1;
    out[n].at = s + at;
    out[n++].len = end - at;
    at = json_skip_space(s, len, end);
    if (at < len && s[at] == ',') { at = json_skip_space(s, len, at + 1); continue; }
    if (at < len && s[at] == ']') return json_skip_space(s, len, at + 1) == len ? n : -1;
    return -1;
  }
}

#endif
