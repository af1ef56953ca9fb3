/*
 * Phoenix channels' V2 JSON messages as a client reads them (no I/O): a JSON array
 * [join_ref, ref, topic, event, payload]. Each element is found as written (its span), strings with
 * their quotes, so "1" and null stay apart.
 */
#ifndef C1M_PHOENIX_H
#define C1M_PHOENIX_H

#include <string.h>

struct phx_span { const char *at; size_t len; };
enum { PHX_JOIN_REF, PHX_REF, PHX_TOPIC, PHX_EVENT, PHX_PAYLOAD, PHX_PARTS };

/* The end of the JSON value at p (a string, an object or array, or a literal), or NULL. */
static const char *phx_value_end(const char *p, const char *end) {
  if (p >= end) return NULL;
  if (*p == '"') {
    for (p++; p < end; p++) {
      if (*p == '\\') p++;
      else if (*p == '"') return p + 1;
    }
    return NULL;
  }
  if (*p == '{' || *p == '[') {
    int depth = 0;
    for (; p < end; p++) {
      if (*p == '"') {
        const char *s = phx_value_end(p, end);
        if (!s) return NULL;
        p = s - 1;
      } else if (*p == '{' || *p == '[') depth++;
      else if ((*p == '}' || *p == ']') && --depth == 0) return p + 1;
    }
    return NULL;
  }
  while (p < end && *p != ',' && *p != ']' && *p != '}' && *p != ' ' && *p != '\n') p++;
  return p;
}

static const char *phx_space(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
  return p;
}

/* The five elements of a V2 message; 0 when it is not one. */
static int phx_split(const char *msg, size_t len, struct phx_span parts[PHX_PARTS]) {
  const char *end = msg + len, *p = phx_space(msg, end);
  if (p >= end || *p != '[') return 0;
  for (int i = 0; i < PHX_PARTS; i++) {
    p = phx_space(p + 1, end);
    const char *e = phx_value_end(p, end);
    if (!e || e == p) return 0;
    parts[i].at = p;
    parts[i].len = (size_t)(e - p);
    p = phx_space(e, end);
    if (p >= end || *p != (i == PHX_PARTS - 1 ? ']' : ',')) return 0;
  }
  return 1;
}

/* Whether a span is the JSON string "text" (unescaped text). */
static int phx_is(struct phx_span s, const char *text) {
  size_t n = strlen(text);
  return s.len == n + 2 && s.at[0] == '"' && memcmp(s.at + 1, text, n) == 0;
}

/* The value span of "key" at the top level of a JSON object span, or {NULL, 0}. */
static struct phx_span phx_member(struct phx_span obj, const char *key) {
  struct phx_span none = {NULL, 0};
  const char *end = obj.at + obj.len, *p = obj.at;
  if (obj.len < 2 || *p != '{') return none;
  p = phx_space(p + 1, end);
  while (p < end && *p == '"') {
    const char *k = p, *ke = phx_value_end(p, end);
    if (!ke) return none;
    p = phx_space(ke, end);
    if (p >= end || *p != ':') return none;
    p = phx_space(p + 1, end);
    const char *ve = phx_value_end(p, end);
    if (!ve) return none;
    struct phx_span key_span = {k, (size_t)(ke - k)};
    if (phx_is(key_span, key)) return (struct phx_span){p, (size_t)(ve - p)};
    p = phx_space(ve, end);
    if (p < end && *p == ',') p = phx_space(p + 1, end);
  }
  return none;
}

#endif
