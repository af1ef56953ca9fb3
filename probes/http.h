/*
 * HTTP/1.1 for both programs: a header's value in a head, the status of an answer, the GET of a
 * stream, and a chunked body (Transfer-Encoding: chunked, RFC 9112 section 7.1) unframed as it comes.
 */
#ifndef C1M_HTTP_H
#define C1M_HTTP_H

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

/*
 * The value of header `name` (with its colon, any case) in an HTTP head that ends with
 * \r\n\r\n: a pointer to its first non-space byte and its length, or NULL.
 */
static inline const char *http_header(const char *head, const char *name, size_t *len) {
  size_t n = strlen(name);
  for (const char *line = strstr(head, "\r\n"); line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
    const char *at = line + 2;
    if (strncasecmp(at, name, n) != 0) continue;
    at += n;
    while (*at == ' ' || *at == '\t') at++;
    const char *end = strstr(at, "\r\n");
    while (end > at && (end[-1] == ' ' || end[-1] == '\t')) end--;
    *len = (size_t)(end - at);
    return at;
  }
  return NULL;
}

/* Whether header `name`'s value ends with `word` (any case), as "chunked" ends Transfer-Encoding. */
static inline int http_header_ends(const char *head, const char *name, const char *word) {
  size_t len = 0, n = strlen(word);
  const char *value = http_header(head, name, &len);
  return value && len >= n && strncasecmp(value + len - n, word, n) == 0;
}

/* The status of an answer's head ("HTTP/1.x NNN ..."), or 0 when it is not HTTP/1.x. */
static inline int http_status(const char *head) {
  int status = 0;
  return sscanf(head, "HTTP/1.%*d %d", &status) == 1 ? status : 0;
}

/* A GET with the lines of `extra` (each CRLF-ended) into out; returns its length. */
static inline int http_get(char *out, size_t size, const char *path, const char *host, const char *accept, const char *extra) {
  return snprintf(out, size, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: %s\r\nCache-Control: no-cache\r\n%s\r\n", path, host, accept, extra);
}

/* Where a chunked body's reader is: the state of one connection, with chunk_left beside it. */
enum chunk_state {
  CHUNK_SIZE,    /* the hex size line (chunk_left: the size so far) */
  CHUNK_DATA,    /* the chunk's data (chunk_left: bytes to go) */
  CHUNK_CRLF,    /* the CRLF after the data */
  CHUNK_TRAILER, /* the trailer after the last chunk (chunk_left: characters of its current line) */
  CHUNK_END,     /* the body is over */
  CHUNK_EXT      /* an extension after the size, up to the line's end */
};

/*
 * Unframe n bytes of a chunked body: data(ctx, bytes, count) for each run of data, chunk(ctx) as
 * each chunk with data starts (chunk may be NULL). Returns the bytes used: less than n only when
 * the body ended within them.
 */
static inline ssize_t http_unchunk(uint8_t *state, uint32_t *left, const char *buf, ssize_t n,
                            void (*data)(void *, const char *, ssize_t), void (*chunk)(void *), void *ctx) {
  for (ssize_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)buf[i];
    switch (*state) {
      case CHUNK_SIZE:
      case CHUNK_EXT:
        if (c == '\n') {
          *state = *left ? CHUNK_DATA : CHUNK_TRAILER;
          if (*left && chunk) chunk(ctx);
        } else if (*state == CHUNK_SIZE && isxdigit(c) && *left < 0x10000000u) {
          *left = *left * 16 + (uint32_t)(isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
        } else if (c != '\r') {
          *state = CHUNK_EXT;
        }
        break;
      case CHUNK_DATA: {
        ssize_t take = n - i < (ssize_t)*left ? n - i : (ssize_t)*left;
        data(ctx, buf + i, take);
        *left -= (uint32_t)take;
        i += take - 1;
        if (!*left) *state = CHUNK_CRLF;
        break;
      }
      case CHUNK_CRLF:
        if (c == '\n') *state = CHUNK_SIZE;
        break;
      case CHUNK_TRAILER:
        if (c == '\n' && *left == 0) { *state = CHUNK_END; return i + 1; }
        if (c == '\n') *left = 0;
        else if (c != '\r') (*left)++;
        break;
      default:
        return i;
    }
  }
  return n;
}

#endif
