/*
 * permessage-deflate (RFC 7692) on the client's side: what a server sends compressed is inflated,
 * so an echo is compared byte for byte and a pushed message counts its uncompressed bytes. One
 * inflater per connection, made at its first compressed message (the server may keep its window
 * from message to message, so the client keeps its own); it keeps the first INFLATE_KEEP bytes of
 * each message for whoever reads it. With zlib (C1M_ZLIB, zlib1g-dev) only; without it the client
 * does not offer the extension.
 */
#ifndef C1M_INFLATE_H
#define C1M_INFLATE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define INFLATE_KEEP 2048

#ifdef C1M_ZLIB
#include <zlib.h>

struct inflater {
  z_stream z;
  uint64_t out;      /* uncompressed bytes of the message so far */
  uint32_t kept;     /* of which the first ones, kept */
  uint8_t in_message; /* a message's first frame came, its last not yet */
  unsigned char keep[INFLATE_KEEP];
};

static const int inflate_built = 1;

/* A raw inflater (no zlib header, the largest window: the server may use any up to 15 bits). */
static struct inflater *inflater_new(void) {
  struct inflater *in = calloc(1, sizeof *in);
  if (in && inflateInit2(&in->z, -15) != Z_OK) { free(in); return NULL; }
  return in;
}

static void inflater_free(struct inflater *in) {
  if (!in) return;
  inflateEnd(&in->z);
  free(in);
}

/* n compressed bytes of a message; 0, or -1 when they cannot be inflated. */
static int inflater_feed(struct inflater *in, const unsigned char *bytes, size_t n) {
  unsigned char out[4096];
  in->z.next_in = (unsigned char *)bytes;
  in->z.avail_in = (uInt)n;
  do {
    in->z.next_out = out;
    in->z.avail_out = sizeof out;
    int rc = inflate(&in->z, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) return -1;
    size_t got = sizeof out - in->z.avail_out;
    if (in->kept < INFLATE_KEEP) {
      size_t take = got < INFLATE_KEEP - in->kept ? got : INFLATE_KEEP - in->kept;
      memcpy(in->keep + in->kept, out, take);
      in->kept += (uint32_t)take;
    }
    in->out += got;
    if (rc == Z_BUF_ERROR && got == 0) break;
  } while (in->z.avail_in > 0 || in->z.avail_out == 0);
  return 0;
}

/* The message's last frame is in: the 4 bytes the sender took off (00 00 ff ff) end it. */
static int inflater_end(struct inflater *in) {
  static const unsigned char tail[4] = {0, 0, 0xff, 0xff};
  in->in_message = 0;
  return inflater_feed(in, tail, sizeof tail);
}

/* Forget the last message's bytes, keep the window. */
static void inflater_next(struct inflater *in) {
  in->out = 0;
  in->kept = 0;
}

#else

struct inflater { uint64_t out; uint32_t kept; uint8_t in_message; unsigned char keep[1]; };
static const int inflate_built = 0;
static struct inflater *inflater_new(void) { return NULL; }
static void inflater_free(struct inflater *in) { (void)in; }
static int inflater_feed(struct inflater *in, const unsigned char *bytes, size_t n) { (void)in; (void)bytes; (void)n; return -1; }
static int inflater_end(struct inflater *in) { (void)in; return -1; }
static void inflater_next(struct inflater *in) { (void)in; }

#endif
#endif
