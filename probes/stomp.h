/*
 * STOMP 1.2 frames as a client reads them (no I/O): COMMAND, header lines, a blank line, a body up
 * to NUL. End-of-line heart-beats (bare \n or \r\n) may come before a frame. Header values of
 * CONNECTED and ERROR are read as written (the spec escapes none in CONNECTED).
 */
#ifndef C1M_STOMP_H
#define C1M_STOMP_H

#include <stdlib.h>
#include <string.h>

struct stomp_frame {
  const char *command; size_t command_len;
  const char *headers; size_t headers_len; /* the header lines, each ending in \n */
  const char *body; size_t body_len;
};

static int stomp_header(const struct stomp_frame *f, const char *name, char *out, size_t size);

/*
 * The first frame in buf[0..len): 1 and *used (the bytes up to and with its NUL and one EOL after
 * it, as RabbitMQ writes), 0 for heart-beats only (*used: all of them), -1 for a frame cut short or
 * malformed. A content-length header gives the body's length (a body may then hold NULs).
 */
static int stomp_parse(const char *buf, size_t len, struct stomp_frame *f, size_t *used) {
  size_t at = 0;
  while (at < len && (buf[at] == '\n' || (buf[at] == '\r' && at + 1 < len && buf[at + 1] == '\n'))) at++;
  if (at == len) { *used = len; return 0; }
  const char *end = buf + len, *nl = memchr(buf + at, '\n', len - at);
  if (!nl) return -1;
  f->command = buf + at;
  f->command_len = (size_t)(nl - f->command) - (nl > f->command && nl[-1] == '\r');
  f->headers = nl + 1;
  /* The header lines end at a blank one (\n or \r\n). */
  const char *line = nl + 1;
  for (;;) {
    if (line < end && *line == '\n') break;
    if (line + 1 < end && line[0] == '\r' && line[1] == '\n') break;
    const char *next = memchr(line, '\n', (size_t)(end - line));
    if (!next || memchr(line, 0, (size_t)(next - line))) return -1;
    line = next + 1;
  }
  f->headers_len = (size_t)(line - f->headers);
  f->body = line + (*line == '\n' ? 1 : 2);
  char cl[24];
  const char *nul;
  if (stomp_header(f, "content-length", cl, sizeof cl)) {
    char *stop;
    unsigned long n = strtoul(cl, &stop, 10);
    if (*stop || !*cl || n >= (size_t)(end - f->body) || f->body[n] != 0) return -1;
    nul = f->body + n;
  } else if (!(nul = memchr(f->body, 0, (size_t)(end - f->body)))) return -1;
  f->body_len = (size_t)(nul - f->body);
  at = (size_t)(nul - buf) + 1;
  if (at < len && buf[at] == '\n') at++;
  else if (at + 1 < len && buf[at] == '\r' && buf[at + 1] == '\n') at += 2;
  *used = at;
  return 1;
}

static int stomp_is(const struct stomp_frame *f, const char *command) {
  size_t n = strlen(command);
  return f->command_len == n && memcmp(f->command, command, n) == 0;
}

/* A header's value (the first, as 1.2 says) into out (at most size - 1 bytes); 1 when present. */
static int stomp_header(const struct stomp_frame *f, const char *name, char *out, size_t size) {
  size_t n = strlen(name);
  const char *line = f->headers, *end = f->headers + f->headers_len;
  while (line < end) {
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    size_t len = (size_t)(nl - line) - (nl > line && nl[-1] == '\r');
    if (len > n && line[n] == ':' && memcmp(line, name, n) == 0) {
      size_t v = len - n - 1 < size - 1 ? len - n - 1 : size - 1;
      memcpy(out, line + n + 1, v);
      out[v] = 0;
      return 1;
    }
    line = nl + 1;
  }
  return 0;
}

/*
 * The client's heart-beat send interval in ms, from what it offered (cx,cy) and CONNECTED's
 * heart-beat (sx,sy): 0 when either side says 0, else the larger of cx and sy (STOMP 1.2).
 */
static unsigned long stomp_send_every(unsigned long cx, const char *server) {
  char *comma;
  strtoul(server, &comma, 10);
  unsigned long sy = *comma == ',' ? strtoul(comma + 1, NULL, 10) : 0;
  return cx == 0 || sy == 0 ? 0 : cx > sy ? cx : sy;
}

/* s with STOMP 1.2's header escapes (\\, \c, \n, \r) into out; its length, or 0 when it does not fit. */
static size_t stomp_escape(const char *s, char *out, size_t size) {
  size_t o = 0;
  for (; *s; s++) {
    const char *esc = *s == '\\' ? "\\\\" : *s == ':' ? "\\c" : *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : NULL;
    size_t n = esc ? 2 : 1;
    if (o + n >= size) return 0;
    if (esc) memcpy(out + o, esc, 2);
    else out[o] = *s;
    o += n;
  }
  out[o] = 0;
  return o;
}

#endif
