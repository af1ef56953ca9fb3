/*
 * c1m load client: opens TCP connections with non-blocking connect() on one epoll loop,
 * holds them idle, and checks on request that each one echoes.
 *
 * A connection counts only while the server keeps it quietly: one the server closes, or one
 * that receives bytes nobody asked for (Redis's "-DENIED" banner, an HTTP 400), is refused,
 * and the first bytes of the first such reply are kept for the report. An echo counts only
 * when its 16 bytes come back byte for byte. Connection attempts are bounded by 2N + 1000.
 *
 *   echo-client --target IP:PORT [--target IP:PORT ...] [--source IP:LO-HI ...]
 *               [--inflight K] [--open-timeout SECONDS] [--protocol tcp|ws|mqtt|sse|stream|long-poll] [--path P] [--host H]
 *               [--header 'K: V' ...] [--mqtt-keepalive S] [--mqtt-subscribe TOPIC]
 *               [--tls [--ca FILE | --insecure] [--servername NAME] [--alpn PROTO]]
 *
 * With --protocol ws a connection counts only once the server answered the WebSocket opening
 * handshake (RFC 6455) with 101 and the right Sec-WebSocket-Accept for its own random key; any
 * other answer is a refusal, its first bytes kept. Once open, the server's frames are read one by
 * one: a ping gets a pong, a close frame ends the connection (its code counted), other frames are
 * counted as pushed. The echo check sends a masked text frame and wants the unmasked frame of the
 * same 16 bytes back. With --protocol mqtt (3.1.1) a connection counts once the broker answered
 * its CONNECT (a client id of its own, clean session, --mqtt-keepalive, a PINGREQ at half of it)
 * with CONNACK 0, and with --mqtt-subscribe once SUBACK granted the topic; PUBLISHes are counted
 * as pushed; the echo check is a PINGREQ that wants its PINGRESP. With --mqtt-echo each connection
 * also subscribes to a topic of its own (c1m/echo/PID-N), and --message-size traffic is a QoS 0
 * PUBLISH there, which the broker sends back: its echo. With --protocol sse or stream
 * (HTTP/1.1 server push) a connection counts once the answer to its GET is 200 (for sse with
 * Content-Type text/event-stream); what the server pushes after it is counted ("pushed" bytes,
 * and SSE events or chunks), never taken as a refusal. With --protocol long-poll a connection
 * counts once its GET is sent (the server holds it until it has something); each answer, 200 (a
 * message, counted) or 204 (nothing new), is read to its end and the GET sent again on the same
 * connection; any other status ends the connection, counted by status in closeCodes as a
 * WebSocket close code is. These have no echo check. --header adds
 * lines to the upgrade or GET. With --tls every connection does a TLS handshake first (tls.h),
 * and the time from connect() to counting goes into a histogram (hist.h) each "open" reports.
 *
 * With --source, every socket is bound to the next explicit (address, port) pair of the
 * slices, so connect() never searches for a free port. Without it the kernel picks.
 * Commands on stdin, one JSON line back on stdout for each:
 *   open N    open connections until N are established (or it cannot go on)
 *   echo      send 16 bytes on every connection and count those that come back
 *   count     report the counters
 *   traffic B MS  from now on send B bytes on every connection every MS milliseconds
 *                 (while idle between commands); "traffic 0 0" stops, waits up to 10 s
 *                 for the echoes in flight and reports the bytes sent and received. With
 *                 WebSocket the B bytes go in a masked text frame and only echoed payload
 *                 counts as received; a write cut short there (or over TLS) breaks the
 *                 connection's stream, so the connection is dropped and counted as failed
 *   quit/EOF  reset every connection (no TIME_WAIT) and exit; SIGTERM, also sent when
 *             the parent dies (PR_SET_PDEATHSIG), does the same
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "echo-common.h"
#include "frames.h"
#include "hist.h"
#include "tls.h"
#include "ws.h"

#define STDIN_TAG -1
#define MAX_TARGETS 1024
#define MAX_SOURCES 1024
#define ECHO_LEN 16
static const char ECHO_MSG[ECHO_LEN + 1] = "c1m echo check!\n";

enum { NONE = 0, CONNECTING = 1, OPEN = 2, HANDSHAKE = 3, TLS_HANDSHAKE = 4 };

/* WebSocket: the opening handshake of one connection, until its 101 arrives. */
#define HS_MAX 2048
struct handshake { char accept[29]; int subscribing; int len; char buf[HS_MAX + 1]; };
static struct handshake **hs_by_fd;
/* WebSocket and MQTT once open: a message cut by a read, carried to the next (see on_messages). */
#define RX_KEEP 160
struct rx { unsigned char buf[RX_KEEP]; int len; int skip_traffic; uint64_t skip; };
static struct rx **rx_by_fd;
static unsigned long long pings_answered, keepalive_answers;
static unsigned long close_codes[5000];
/* What the connections speak; every protocol but raw TCP opens with a handshake. */
enum protocol { P_TCP, P_WS, P_MQTT, P_SSE, P_STREAM, P_LONGPOLL };
static enum protocol proto = P_TCP;
#define PUSHED (proto == P_SSE || proto == P_STREAM)
static unsigned long long pushed_bytes, pushed_events;
static unsigned char *sse_nl; /* per fd: 1 when the last byte pushed was a newline (SSE events end with a blank line) */
/* Per fd, a chunked response (Transfer-Encoding: chunked) is unframed: state 0 reads a size line,
   1 the chunk's data, 2 the CRLF after it, 3 past the last chunk. */
static unsigned char *chunked, *chunk_state;
static uint32_t *chunk_left;
/* Long-poll, per fd: 0 reading an answer's head, 1 its body by Content-Length (lp_left bytes to go),
   2 a chunked body, 3 a body that ends with the connection. */
static unsigned char *lp_phase;
static uint64_t *lp_left;
static unsigned long mqtt_ids;
/* --ws-deflate: offer permessage-deflate (RFC 7692) in the upgrade; connections whose server accepted it. */
static int ws_deflate;
static long deflate_accepted;
/* MQTT keepalive in seconds (CONNECT's field; 0: none): a PINGREQ goes out on every connection each half of it. */
static int mqtt_keepalive;
/* --mqtt-subscribe: every connection subscribes to this topic (QoS 0) and counts once SUBACK came. */
static const char *mqtt_topic;
/* --mqtt-echo: every connection also subscribes to a topic of its own, c1m/echo/PID-N, where its
   --message-size traffic is published, so the broker sends each message back (N per fd). */
static int mqtt_echo;
static uint32_t *mqtt_id_by_fd;
static double next_keepalive;
/* --header lines added to every HTTP request (the upgrade, the GET of a stream), CRLF-ended. */
static char extra_headers[4096];
static size_t extra_len;
static const char *ws_path = "/", *ws_host = "localhost";
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
/* What the echo check sends and wants back: the bare 16 bytes, or WebSocket frames of them. */
static unsigned char echo_request[32], echo_reply[32];
static int echo_request_len = 16, echo_reply_len = 16;

/* TLS (--tls): each connection's SSL, what the handshake negotiated (the first one), and options. */
static tls_conn **ssl_by_fd;
static int use_tls, tls_insecure;
static const char *tls_ca, *tls_name, *tls_alpn;
static char tls_info[200] = "";
/* When each connection's connect() started, and how long connections took to count (see hist.h). */
static double *started_at;
static struct hist open_hist;

struct source { struct in_addr ip; int lo, hi; };

static struct sockaddr_in targets[MAX_TARGETS];
static int ntargets, next_target;
static struct source sources[MAX_SOURCES];
static int nsources, src_index, src_port = -1;
static unsigned char *state, *echo_got;
static long fd_slots;
static long established, inflight, failed, peer_closed, addr_in_use, echoed_total;
/* Echoes answered with a compressed WebSocket frame (permessage-deflate): counted in echoed_total, not compared. */
static long echoed_compressed;
static long refused, unexpected, mismatched, attempts, echo_closed;
/* 0 idle (no byte is expected), 1 an echo round is under way */
static int echo_round_on;
static unsigned char first_bytes[64];
static int first_len;
#define ECHO_MISMATCH 255
static int inflight_max = 256;
static double open_timeout = 300;
static int epfd;
static char last_error[200] = "";
static volatile sig_atomic_t stop_requested;
#define MAX_TRAFFIC 65536
/* One round's message: the bytes as they are, or for WebSocket a masked text frame of them. */
static char traffic_buf[MAX_TRAFFIC + 64];
static size_t traffic_wire;
/* The payload size of the traffic last started: its echoes are told apart from pushed messages by it. */
static long traffic_echo_len;
static long traffic_size, traffic_interval_ms, traffic_rounds, traffic_write_failed;
static unsigned long long bytes_sent, bytes_received;
static double next_tick;

/* SIGTERM (also sent when the parent dies) ends the client as EOF on stdin does. */
static void on_sigterm(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void quit(void);
static uint64_t next_random(void);
static void start_handshake(int fd);
static void connected(int fd);

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void note_error(const char *what, int err) {
  snprintf(last_error, sizeof last_error, "%s: %s", what, strerror(err));
}

/* IP:LO-HI, for example 127.1.0.1:1024-65535 */
static int parse_source(const char *text, struct source *src) {
  char host[64];
  const char *colon = strrchr(text, ':');
  if (!colon || (size_t)(colon - text) >= sizeof host) return -1;
  memcpy(host, text, colon - text);
  host[colon - text] = 0;
  if (sscanf(colon + 1, "%d-%d", &src->lo, &src->hi) != 2) return -1;
  if (src->lo < 1 || src->hi > 65535 || src->lo > src->hi) return -1;
  return inet_pton(AF_INET, host, &src->ip) == 1 ? 0 : -1;
}

/* The next explicit (address, port) pair; -1 when every slice is used up. */
static int next_source(struct sockaddr_in *addr) {
  while (src_index < nsources) {
    struct source *s = &sources[src_index];
    if (src_port < 0) src_port = s->lo;
    if (src_port <= s->hi) {
      memset(addr, 0, sizeof *addr);
      addr->sin_family = AF_INET;
      addr->sin_addr = s->ip;
      addr->sin_port = htons((uint16_t)src_port++);
      return 0;
    }
    src_index++;
    src_port = -1;
  }
  return -1;
}

static int sources_left(void) { return nsources == 0 || src_index < nsources; }

/* Keep the first bytes a server sent that were not an echo, once, for the report. */
static void keep_first_bytes(const char *buf, ssize_t n) {
  if (first_len > 0 || n <= 0) return;
  first_len = n > (ssize_t)sizeof first_bytes ? (int)sizeof first_bytes : (int)n;
  memcpy(first_bytes, buf, (size_t)first_len);
}

/* The kept bytes as a JSON string body: printable ASCII as is, everything else \u00XX. */
static void print_first_bytes(void) {
  for (int i = 0; i < first_len; i++) {
    unsigned char c = first_bytes[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') putchar(c);
    else printf("\\u%04x", c);
  }
}

static void print_count(const char *event, long target) {
  for (char *c = last_error; *c; c++) if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) *c = '?';
  printf("{\"event\":\"%s\",\"target\":%ld,\"established\":%ld,\"failed\":%ld,\"peerClosed\":%ld,"
         "\"refused\":%ld,\"unexpected\":%ld,\"attempts\":%ld,\"addrInUse\":%ld,\"sourcesLeft\":%s,\"pushedBytes\":%llu,\"pushedEvents\":%llu,"
         "\"pingsAnswered\":%llu,\"keepaliveAnswers\":%llu,\"deflateAccepted\":%ld,\"closeCodes\":\"",
         event, target, established, failed, peer_closed, refused, unexpected, attempts, addr_in_use, sources_left() ? "true" : "false", pushed_bytes, pushed_events, pings_answered, keepalive_answers, deflate_accepted);
  int first = 1;
  for (int code = 0; code < 5000; code++) {
    if (close_codes[code]) { printf("%s%d:%lu", first ? "" : ",", code, close_codes[code]); first = 0; }
  }
  printf("\",\"error\":\"%s\",\"firstBytes\":\"", last_error);
  print_first_bytes();
  printf("\"");
  if (strcmp(event, "open") == 0) {
    printf(",");
    hist_print(&open_hist);
    if (tls_info[0]) printf(",%s", tls_info);
  }
  printf("}\n");
  fflush(stdout);
}

/* read() and write() of a connection, through TLS when it has it. */
static ssize_t io_read(int fd, void *buf, size_t n) {
  return ssl_by_fd[fd] ? tls_read(ssl_by_fd[fd], buf, n) : read(fd, buf, n);
}

static ssize_t io_write(int fd, const void *buf, size_t n) {
  return ssl_by_fd[fd] ? tls_write(ssl_by_fd[fd], buf, n) : write(fd, buf, n);
}

/* The connection counts from now on: its time from connect() goes into the histogram. */
static void count_established(int fd) {
  state[fd] = OPEN;
  inflight--;
  established++;
  hist_add(&open_hist, now() - started_at[fd]);
}

static void drop(int fd, int reset) {
  if (reset) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  if (state[fd] == OPEN) established--;
  if (state[fd] == CONNECTING || state[fd] == HANDSHAKE || state[fd] == TLS_HANDSHAKE) inflight--;
  if (ssl_by_fd[fd]) { tls_free(ssl_by_fd[fd]); ssl_by_fd[fd] = NULL; }
  if (hs_by_fd && hs_by_fd[fd]) { free(hs_by_fd[fd]); hs_by_fd[fd] = NULL; }
  if (rx_by_fd && rx_by_fd[fd]) { free(rx_by_fd[fd]); rx_by_fd[fd] = NULL; }
  state[fd] = NONE;
  echo_got[fd] = 0;
  sse_nl[fd] = 0;
  chunked[fd] = 0;
  if (lp_phase) lp_phase[fd] = 0;
  close(fd);
}

/* Start one connect; returns 0 on a start, 1 when this attempt failed but more may work, -1 to stop. */
static int start_connect(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { note_error("socket", errno); return -1; }
  if (fd >= fd_slots) { close(fd); note_error("socket", EMFILE); return -1; }
  attempts++;
  if (nsources) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in local;
    for (;;) {
      if (next_source(&local) < 0) { close(fd); return -1; }
      if (bind(fd, (struct sockaddr *)&local, sizeof local) == 0) break;
      if (errno != EADDRINUSE) { note_error("bind", errno); close(fd); failed++; return errno == EADDRNOTAVAIL ? -1 : 1; }
      addr_in_use++; /* someone else holds this port on the address: take the next */
    }
  }
  struct sockaddr_in *to = &targets[next_target++ % ntargets];
  if (use_tls) {
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &to->sin_addr, ip, sizeof ip);
    ssl_by_fd[fd] = tls_new(fd, tls_name, ip);
    if (!ssl_by_fd[fd]) { note_error("tls", ENOMEM); close(fd); return -1; }
  }
  started_at[fd] = now();
  int rc = connect(fd, (struct sockaddr *)to, sizeof *to);
  if (rc < 0 && errno != EINPROGRESS) {
    int err = errno;
    note_error("connect", err);
    if (ssl_by_fd[fd]) { tls_free(ssl_by_fd[fd]); ssl_by_fd[fd] = NULL; }
    close(fd);
    failed++;
    return err == EADDRNOTAVAIL ? -1 : 1;
  }
  struct epoll_event ev = {.events = rc == 0 ? EPOLLIN | EPOLLRDHUP : EPOLLOUT, .data.fd = fd};
  epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  inflight++;
  state[fd] = CONNECTING;
  if (rc == 0) connected(fd);
  return 0;
}

/*
 * Bytes from the server. In an echo round they must match the message byte for byte; with
 * traffic on, the echo of the 'x' payload; otherwise nothing was asked for, so the server is
 * talking on its own (a refusal banner, an error page): the connection is refused and reset.
 * Returns -1 when the connection was dropped.
 */
/* Pushed payload: its bytes, and for SSE its events (a blank line ends one). */
static void count_payload(int fd, const char *buf, ssize_t n) {
  pushed_bytes += (unsigned long long)n;
  if (proto != P_SSE) return;
  for (ssize_t i = 0; i < n; i++) {
    if (buf[i] == '\r') continue;
    if (buf[i] == '\n') { if (sse_nl[fd]) { pushed_events++; sse_nl[fd] = 0; } else sse_nl[fd] = 1; }
    else sse_nl[fd] = 0;
  }
}

/*
 * A chunked body (Transfer-Encoding: chunked) unframed as it comes, its data counted as pushed; in
 * stream mode each chunk is one message. chunk_state: 0 the size line, 5 an extension after the
 * size, 1 the chunk's data, 2 the CRLF after it, 3 the trailer after the last chunk (chunk_left
 * counts the characters of its current line), 4 the body is over. Returns the bytes used: less
 * than n only when the body ended within them.
 */
static ssize_t unchunk(int fd, const char *buf, ssize_t n) {
  for (ssize_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)buf[i];
    switch (chunk_state[fd]) {
      case 0:
      case 5:
        if (c == '\n') {
          chunk_state[fd] = chunk_left[fd] ? 1 : 3;
          if (chunk_left[fd] && proto == P_STREAM) pushed_events++;
        } else if (chunk_state[fd] == 0 && isxdigit(c) && chunk_left[fd] < 0x10000000u) {
          chunk_left[fd] = chunk_left[fd] * 16 + (uint32_t)(isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
        } else if (c != '\r') {
          chunk_state[fd] = 5;
        }
        break;
      case 1: {
        ssize_t take = n - i < (ssize_t)chunk_left[fd] ? n - i : (ssize_t)chunk_left[fd];
        count_payload(fd, buf + i, take);
        chunk_left[fd] -= (uint32_t)take;
        i += take - 1;
        if (!chunk_left[fd]) chunk_state[fd] = 2;
        break;
      }
      case 2:
        if (c == '\n') chunk_state[fd] = 0;
        break;
      case 3:
        if (c == '\n' && chunk_left[fd] == 0) { chunk_state[fd] = 4; return i + 1; }
        if (c == '\n') chunk_left[fd] = 0;
        else if (c != '\r') chunk_left[fd]++;
        break;
      default:
        return i;
    }
  }
  return n;
}

/* What the server pushed, unframed when chunked. */
static void count_pushed(int fd, const char *buf, ssize_t n) {
  if (chunked[fd]) unchunk(fd, buf, n);
  else count_payload(fd, buf, n);
}

/* The GET of a stream or a long-poll, with --header's lines; returns its length. */
static int http_get(char *out, size_t size) {
  return snprintf(out, size, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: %s\r\nCache-Control: no-cache\r\n%s\r\n",
                  ws_path, ws_host, proto == P_SSE ? "text/event-stream" : "*/*", extra_headers);
}

/* Long-poll: the GET that waits for the server's next message; -1 when it could not be written. */
static int lp_request(int fd) {
  char out[1024 + sizeof extra_headers];
  int n = http_get(out, sizeof out);
  return io_write(fd, out, (size_t)n) == n ? 0 : -1;
}

/* Long-poll: the server ended a connection with an answer other than 200 or 204, its status counted. */
static int lp_refuse(int fd, int status) {
  struct handshake *hs = hs_by_fd[fd];
  if (status) snprintf(last_error, sizeof last_error, "long-poll: the server answered with status %d", status);
  else snprintf(last_error, sizeof last_error, "long-poll: an answer that is not HTTP/1.x or a head longer than 2 KiB");
  if (hs) keep_first_bytes(hs->buf, hs->len);
  close_codes[status > 0 && status < 1000 ? status : 0]++;
  peer_closed++;
  refused++;
  drop(fd, 1);
  return -1;
}

/* Long-poll: the answer is whole; ask again on the same connection. */
static int lp_answered(int fd) {
  lp_phase[fd] = 0;
  if (lp_request(fd) == 0) return 0;
  note_error("write", errno ? errno : EIO);
  drop(fd, 1);
  failed++;
  return -1;
}

/*
 * Long-poll answers: a head, then a body by Content-Length, chunked, or until the server closes.
 * A 200 is one message; a 204 (the server's own timeout, in many designs) only renews the poll;
 * any other status ends the connection. Returns -1 when the connection was dropped.
 */
static int lp_on_bytes(int fd, const char *buf, ssize_t n) {
  while (n > 0) {
    if (lp_phase[fd] == 1) {
      ssize_t take = (uint64_t)n < lp_left[fd] ? n : (ssize_t)lp_left[fd];
      pushed_bytes += (unsigned long long)take;
      lp_left[fd] -= (uint64_t)take;
      buf += take;
      n -= take;
      if (!lp_left[fd] && lp_answered(fd) < 0) return -1;
      continue;
    }
    if (lp_phase[fd] == 2) {
      ssize_t used = unchunk(fd, buf, n);
      buf += used;
      n -= used;
      if (chunk_state[fd] == 4 && lp_answered(fd) < 0) return -1;
      continue;
    }
    if (lp_phase[fd] == 3) { pushed_bytes += (unsigned long long)n; return 0; }
    struct handshake *hs = hs_by_fd[fd];
    if (!hs) {
      if (!(hs = hs_by_fd[fd] = malloc(sizeof *hs))) { note_error("malloc", ENOMEM); drop(fd, 1); return -1; }
      hs->len = 0;
    }
    ssize_t take = n < HS_MAX - hs->len ? n : HS_MAX - hs->len;
    memcpy(hs->buf + hs->len, buf, (size_t)take);
    hs->len += (int)take;
    hs->buf[hs->len] = 0;
    char *end = strstr(hs->buf, "\r\n\r\n");
    if (!end) return hs->len >= HS_MAX ? lp_refuse(fd, 0) : 0;
    int head = (int)(end + 4 - hs->buf);
    int status = 0;
    if (sscanf(hs->buf, "HTTP/1.%*d %d", &status) != 1) return lp_refuse(fd, 0);
    if (status != 200 && status != 204) return lp_refuse(fd, status);
    size_t te_len = 0, cl_len = 0;
    const char *te = ws_header(hs->buf, "Transfer-Encoding:", &te_len);
    const char *cl = ws_header(hs->buf, "Content-Length:", &cl_len);
    buf += take - (hs->len - head);
    n -= take - (hs->len - head);
    if (status == 200) pushed_events++;
    if (te && te_len >= 7 && strncasecmp(te + te_len - 7, "chunked", 7) == 0) { lp_phase[fd] = 2; chunk_state[fd] = 0; chunk_left[fd] = 0; }
    else if (cl) { lp_left[fd] = strtoull(cl, NULL, 10); lp_phase[fd] = lp_left[fd] ? 1 : 0; }
    else lp_phase[fd] = status == 204 ? 0 : 3;
    free(hs);
    hs_by_fd[fd] = NULL;
    if (lp_phase[fd] == 0 && lp_answered(fd) < 0) return -1;
  }
  return 0;
}

/*
 * WebSocket frames and MQTT packets from the server once a connection is open, message by message:
 * a 16-byte payload in an echo round is the echo (compared byte for byte); a ping is answered with
 * a pong; a close frame ends the connection with its code counted; PINGRESP outside a round
 * answers a keepalive; any other message is pushed by the server and counted. A message cut by a
 * read keeps its header (and a control frame or echo its payload) for the next read; a long
 * payload is skipped as it comes. Returns -1 when the connection was dropped.
 */

static void count_close(const unsigned char *payload, uint64_t len) {
  int code = len >= 2 ? payload[0] << 8 | payload[1] : 1005; /* 1005: no status code present */
  close_codes[code < 5000 ? code : 4999]++;
}

static void send_pong(int fd, const unsigned char *payload, uint64_t len) {
  unsigned char out[2 + 4 + 125];
  uint64_t m = next_random();
  out[0] = 0x8A;
  out[1] = (unsigned char)(0x80 | len);
  memcpy(out + 2, &m, 4);
  for (uint64_t i = 0; i < len; i++) out[6 + i] = payload[i] ^ out[2 + i % 4];
  if (io_write(fd, out, 6 + len) == (ssize_t)(6 + len)) pings_answered++;
}

/*
 * The echo of --message-size traffic: a WebSocket text frame of the payload's size, or a QoS 0
 * PUBLISH of that size on one of c1m's echo topics (have: the bytes of it at hand, hl and len
 * from its header).
 */
static int is_traffic_echo(const unsigned char *f, int hl, uint64_t len, size_t have) {
  if (traffic_echo_len <= 0) return 0;
  if (proto == P_WS) return (f[0] & 0x0f) == 0x1 && len == (uint64_t)traffic_echo_len;
  if (proto != P_MQTT || !mqtt_echo || (f[0] & 0xF6) != 0x30 || have < (size_t)hl + 2) return 0;
  size_t tlen = (size_t)f[hl] << 8 | f[hl + 1];
  if (tlen < 9 || have < (size_t)hl + 2 + tlen || memcmp(f + hl + 2, "c1m/echo/", 9) != 0) return 0;
  return len == 2 + tlen + (uint64_t)traffic_echo_len;
}

/* One whole message; -1 when the connection was dropped. */
static int on_message(int fd, const unsigned char *f, int hl, uint64_t len) {
  const unsigned char *payload = f + hl;
  if (proto == P_WS) {
    int op = f[0] & 0x0f;
    if (op == 0x9) { send_pong(fd, payload, len); return 0; }
    if (op == 0xA) return 0;
    if (op == 0x8) {
      count_close(payload, len);
      peer_closed++;
      refused++;
      if (echo_round_on && echo_got[fd] < echo_reply_len) echo_closed++;
      keep_first_bytes((const char *)f, hl + (ssize_t)len);
      drop(fd, 1);
      return -1;
    }
  } else if (f[0] == 0xD0 && !(echo_round_on && echo_got[fd] < echo_reply_len)) {
    keepalive_answers++;
    return 0;
  }
  /* With permessage-deflate the server may compress its answer (RSV1): it counts as answered, not compared. */
  if (echo_round_on && echo_got[fd] < echo_reply_len && proto == P_WS && (f[0] & 0x40) && (f[0] & 0x0f) <= 2) {
    echo_got[fd] = (unsigned char)echo_reply_len;
    echoed_total++;
    echoed_compressed++;
    return 0;
  }
  if (echo_round_on && echo_got[fd] < echo_reply_len && (uint64_t)hl + len == (uint64_t)echo_reply_len) {
    if (memcmp(f, echo_reply, (size_t)echo_reply_len) == 0) { echo_got[fd] = (unsigned char)echo_reply_len; echoed_total++; }
    else { mismatched++; echo_got[fd] = ECHO_MISMATCH; keep_first_bytes((const char *)f, echo_reply_len); }
    return 0;
  }
  if (is_traffic_echo(f, hl, len, (size_t)hl + len)) { bytes_received += (unsigned long long)traffic_echo_len; return 0; }
  pushed_events++;
  pushed_bytes += len;
  return 0;
}

static int on_messages(int fd, const unsigned char *in, ssize_t n) {
  struct rx *rx = rx_by_fd[fd];
  if (rx && rx->skip) {
    uint64_t take = rx->skip < (uint64_t)n ? rx->skip : (uint64_t)n;
    if (!rx->skip_traffic) pushed_bytes += take; /* an echo of traffic was counted whole when it began */
    rx->skip -= take;
    in += take;
    n -= (ssize_t)take;
  }
  unsigned char joined[RX_KEEP + 4096];
  if (rx && rx->len) {
    memcpy(joined, rx->buf, (size_t)rx->len);
    memcpy(joined + rx->len, in, (size_t)n);
    in = joined;
    n += rx->len;
    rx->len = 0;
  }
  ssize_t at = 0;
  while (at < n) {
    const unsigned char *f = in + at;
    size_t left = (size_t)(n - at);
    int hl = 0;
    uint64_t len = 0;
    int rc = proto == P_WS ? ws_frame_header(f, left, ws_deflate, &hl, &len) : mqtt_packet_header(f, left, &hl, &len);
    if (rc < 0) {
      unexpected++;
      refused++;
      keep_first_bytes((const char *)f, (ssize_t)left);
      drop(fd, 1);
      return -1;
    }
    if (rc == 0) break;
    /* Control frames and what may be an echo are read whole; anything else may be skipped through. */
    int whole = (proto == P_WS && (f[0] & 0x08)) || (uint64_t)hl + len <= (uint64_t)echo_reply_len;
    if (left < (uint64_t)hl + len) {
      /* Wait for the topic of a PUBLISH that may be an echo of traffic (ours are under 40 bytes). */
      if (whole || (mqtt_echo && left < (size_t)hl + 2 + 40)) break;
      int traffic = is_traffic_echo(f, hl, len, left);
      if (traffic) bytes_received += (unsigned long long)traffic_echo_len;
      else { pushed_events++; pushed_bytes += left - (size_t)hl; }
      if (!rx && !(rx = rx_by_fd[fd] = calloc(1, sizeof *rx))) { note_error("malloc", ENOMEM); drop(fd, 1); return -1; }
      rx->skip = (uint64_t)hl + len - left;
      rx->skip_traffic = traffic;
      at = n;
      break;
    }
    if (on_message(fd, f, hl, len) < 0) return -1;
    at += hl + (ssize_t)len;
  }
  if (at < n) {
    if (!rx && !(rx = rx_by_fd[fd] = calloc(1, sizeof *rx))) { note_error("malloc", ENOMEM); drop(fd, 1); return -1; }
    if (n - at > RX_KEEP) { unexpected++; refused++; keep_first_bytes((const char *)in + at, n - at); drop(fd, 1); return -1; }
    memcpy(rx->buf, in + at, (size_t)(n - at));
    rx->len = (int)(n - at);
  } else if (rx && !rx->skip) {
    free(rx);
    rx_by_fd[fd] = NULL;
  }
  return 0;
}

static int on_bytes(int fd, const char *buf, ssize_t n) {
  if (proto == P_LONGPOLL) return lp_on_bytes(fd, buf, n);
  if (PUSHED) { count_pushed(fd, buf, n); return 0; }
  if (proto == P_WS || proto == P_MQTT) return on_messages(fd, (const unsigned char *)buf, n);
  for (ssize_t i = 0; i < n; i++) {
    int at = echo_got[fd];
    if (echo_round_on && at < echo_reply_len) {
      if ((unsigned char)buf[i] == echo_reply[at]) {
        echo_got[fd] = (unsigned char)(at + 1);
        if (at + 1 == echo_reply_len) echoed_total++;
        continue;
      }
      mismatched++;
      echo_got[fd] = ECHO_MISMATCH;
      keep_first_bytes(buf + i, n - i);
      return 0;
    }
    if (at == ECHO_MISMATCH) return 0;   /* the rest of a reply already counted as wrong */
    if (bytes_sent > 0 && buf[i] == 'x') continue;   /* echoed traffic */
    unexpected++;
    refused++;
    keep_first_bytes(buf + i, n - i);
    drop(fd, 1);
    return -1;
  }
  return 0;
}

static uint64_t next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* MQTT 3.1.1 CONNECT: clean session, the keepalive asked for, a client id of its own. */
static int mqtt_connect_packet(int fd, unsigned char *out) {
  char id[40];
  int idlen = snprintf(id, sizeof id, "c1m-%d-%lu", getpid(), ++mqtt_ids);
  if (mqtt_id_by_fd) mqtt_id_by_fd[fd] = (uint32_t)mqtt_ids;
  int n = 0;
  out[n++] = 0x10;
  out[n++] = (unsigned char)(10 + 2 + idlen);
  const unsigned char var[] = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, (unsigned char)(mqtt_keepalive >> 8), (unsigned char)mqtt_keepalive};
  memcpy(out + n, var, sizeof var);
  n += (int)sizeof var;
  out[n++] = (unsigned char)(idlen >> 8);
  out[n++] = (unsigned char)idlen;
  memcpy(out + n, id, (size_t)idlen);
  return n + idlen;
}

/*
 * Send the opening: MQTT's CONNECT, the GET of an HTTP push, or the WebSocket upgrade with a
 * fresh random key (keeping the Sec-WebSocket-Accept it needs).
 */
static void start_handshake(int fd) {
  if (proto == P_LONGPOLL) {
    /* The server holds the request until it has something: the connection counts once it is asked. */
    if (lp_request(fd) < 0) { note_error("write", errno ? errno : EIO); drop(fd, 1); failed++; return; }
    count_established(fd);
    return;
  }
  struct handshake *hs = malloc(sizeof *hs);
  if (!hs) { note_error("malloc", ENOMEM); drop(fd, 1); failed++; return; }
  hs->len = 0;
  hs->subscribing = 0;
  hs_by_fd[fd] = hs;
  state[fd] = HANDSHAKE;
  char out[1024 + sizeof extra_headers];
  int n;
  if (proto == P_MQTT) {
    n = mqtt_connect_packet(fd, (unsigned char *)out);
  } else if (PUSHED) {
    n = http_get(out, sizeof out);
  } else {
    uint8_t raw[16];
    uint64_t a = next_random(), b = next_random();
    memcpy(raw, &a, 8);
    memcpy(raw + 8, &b, 8);
    char key[25];
    ws_base64(raw, 16, key);
    ws_accept(key, 24, hs->accept);
    n = snprintf(out, sizeof out, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s%s\r\n", ws_path, ws_host, key,
                 ws_deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "", extra_headers);
  }
  if (io_write(fd, out, (size_t)n) != n) { note_error("write", errno ? errno : EIO); drop(fd, 1); failed++; }
}

/* The server refused the upgrade: a status other than 101, a wrong accept, a close. */
static void refuse_handshake(int fd, const char *why) {
  struct handshake *hs = hs_by_fd[fd];
  snprintf(last_error, sizeof last_error, "%s handshake: %s", (proto == P_MQTT) ? "mqtt" : (proto == P_WS) ? "websocket" : "http", why);
  if (hs) keep_first_bytes(hs->buf, hs->len);
  refused++;
  unexpected++;
  drop(fd, 1);
}

/* The opening went through: the connection counts from now on. */
static void handshake_done(int fd) {
  free(hs_by_fd[fd]);
  hs_by_fd[fd] = NULL;
  count_established(fd);
}

/*
 * The opening is over when `used` bytes of hs were the server's answer: the connection counts, and
 * whatever came after the answer is the server's first messages (frames, packets, pushed data).
 */
static void opened_with_rest(int fd, struct handshake *hs, int used) {
  int rest = hs->len - used;
  char tail[HS_MAX];
  memcpy(tail, hs->buf + used, (size_t)rest);
  handshake_done(fd);
  if (rest > 0) on_bytes(fd, tail, rest);
}

/* The connection's own echo topic (--mqtt-echo); returns its length. */
static int mqtt_echo_topic(int fd, char *out, size_t size) {
  return snprintf(out, size, "c1m/echo/%d-%u", getpid(), mqtt_id_by_fd[fd]);
}

/* The topics a connection subscribes to at its opening: --mqtt-subscribe's, and its echo topic. */
static int mqtt_topics(void) { return (mqtt_topic ? 1 : 0) + mqtt_echo; }

/* MQTT's SUBSCRIBE to those topics, QoS 0 each, packet id 1. */
static int mqtt_subscribe_packet(int fd, unsigned char *out) {
  char own[48];
  const char *topics[2];
  int count = 0;
  if (mqtt_topic) topics[count++] = mqtt_topic;
  if (mqtt_echo) { mqtt_echo_topic(fd, own, sizeof own); topics[count++] = own; }
  size_t rl = 2;
  for (int t = 0; t < count; t++) rl += 2 + strlen(topics[t]) + 1;
  int n = 0;
  out[n++] = 0x82;
  do { out[n++] = (unsigned char)((rl & 0x7f) | (rl > 0x7f ? 0x80 : 0)); rl >>= 7; } while (rl);
  out[n++] = 0x00; out[n++] = 0x01;
  for (int t = 0; t < count; t++) {
    size_t tlen = strlen(topics[t]);
    out[n++] = (unsigned char)(tlen >> 8); out[n++] = (unsigned char)tlen;
    memcpy(out + n, topics[t], tlen);
    n += (int)tlen;
    out[n++] = 0x00;
  }
  return n;
}

/* A QoS 0 PUBLISH of size bytes of 'x' to the connection's echo topic, built at the end of the
   header room of traffic_buf (whose payload is filled once): where it starts, its length in *len. */
#define PUBLISH_ROOM 64
static const char *mqtt_publish_packet(int fd, size_t size, size_t *len) {
  char topic[48];
  int tlen = mqtt_echo_topic(fd, topic, sizeof topic);
  unsigned char head[PUBLISH_ROOM];
  size_t rl = 2 + (size_t)tlen + size, h = 0;
  head[h++] = 0x30;
  do { head[h++] = (unsigned char)((rl & 0x7f) | (rl > 0x7f ? 0x80 : 0)); rl >>= 7; } while (rl);
  head[h++] = (unsigned char)(tlen >> 8); head[h++] = (unsigned char)tlen;
  memcpy(head + h, topic, (size_t)tlen);
  h += (size_t)tlen;
  char *start = traffic_buf + PUBLISH_ROOM - h;
  memcpy(start, head, h);
  *len = h + size;
  return start;
}

/* MQTT: CONNACK 0, then with --mqtt-subscribe a SUBACK granting QoS 0; anything else is a refusal. */
static void on_mqtt_opening(int fd, struct handshake *hs) {
  const unsigned char *b = (const unsigned char *)hs->buf;
  if (!hs->subscribing) {
    if (b[0] != 0x20) { refuse_handshake(fd, "the broker's first packet was not a CONNACK"); return; }
    if (hs->len < 4) return;
    if (b[1] != 0x02) { refuse_handshake(fd, "a malformed CONNACK"); return; }
    if (b[3] != 0) {
      static const char *why[] = {"", "unacceptable protocol version", "identifier rejected", "server unavailable", "bad user name or password", "not authorized"};
      char text[64];
      snprintf(text, sizeof text, "CONNACK return code %d (%s)", b[3], b[3] <= 5 ? why[b[3]] : "unknown");
      refuse_handshake(fd, text);
      return;
    }
    if (!mqtt_topics()) { opened_with_rest(fd, hs, 4); return; }
    unsigned char out[700];
    int n = mqtt_subscribe_packet(fd, out);
    if (io_write(fd, out, (size_t)n) != n) { note_error("write", errno ? errno : EIO); drop(fd, 1); failed++; return; }
    hs->subscribing = 1;
    hs->len -= 4;
    memmove(hs->buf, hs->buf + 4, (size_t)hs->len + 1);
    if (hs->len == 0) return;
  }
  int topics = mqtt_topics();
  if (b[0] != 0x90) { refuse_handshake(fd, "the broker's answer to SUBSCRIBE was not a SUBACK"); return; }
  if (hs->len < 4 + topics) return;
  if (b[1] != 2 + topics || b[2] != 0x00 || b[3] != 0x01) { refuse_handshake(fd, "a malformed SUBACK"); return; }
  for (int t = 0; t < topics; t++) {
    if (b[4 + t] == 0x80) { refuse_handshake(fd, "the broker refused the subscription (SUBACK 0x80)"); return; }
  }
  opened_with_rest(fd, hs, 4 + topics);
}

static void on_handshake(int fd) {
  struct handshake *hs = hs_by_fd[fd];
  ssize_t n = io_read(fd, hs->buf + hs->len, (size_t)(HS_MAX - hs->len));
  if (n < 0 && errno == EAGAIN) return;
  if (n <= 0) {
    peer_closed++;
    refuse_handshake(fd, hs->len ? "the server closed the connection after answering" : "the server closed the connection before answering");
    return;
  }
  bytes_received += (unsigned long long)n;
  hs->len += (int)n;
  hs->buf[hs->len] = 0;
  if (proto == P_MQTT) {
    on_mqtt_opening(fd, hs);
    return;
  }
  char *end = strstr(hs->buf, "\r\n\r\n");
  if (!end) {
    if (hs->len >= HS_MAX) refuse_handshake(fd, "an answer longer than 2 KiB");
    return;
  }
  if (PUSHED) {
    if (strncmp(hs->buf, "HTTP/1.1 200", 12) != 0 && strncmp(hs->buf, "HTTP/1.0 200", 12) != 0) { refuse_handshake(fd, "the status was not 200"); return; }
    size_t len = 0;
    const char *type = ws_header(hs->buf, "Content-Type:", &len);
    if (proto == P_SSE && (!type || len < 17 || strncasecmp(type, "text/event-stream", 17) != 0)) { refuse_handshake(fd, "the Content-Type was not text/event-stream"); return; }
    const char *te = ws_header(hs->buf, "Transfer-Encoding:", &len);
    chunked[fd] = te && len >= 7 && strncasecmp(te + len - 7, "chunked", 7) == 0;
    chunk_state[fd] = 0;
    chunk_left[fd] = 0;
    opened_with_rest(fd, hs, (int)(end + 4 - hs->buf));
    return;
  }
  if (strncmp(hs->buf, "HTTP/1.1 101", 12) != 0) { refuse_handshake(fd, "the status was not 101 Switching Protocols"); return; }
  size_t len = 0;
  const char *accept = ws_header(hs->buf, "Sec-WebSocket-Accept:", &len);
  if (!accept || len != 28 || memcmp(accept, hs->accept, 28) != 0) { refuse_handshake(fd, "a missing or wrong Sec-WebSocket-Accept"); return; }
  const char *ext = ws_header(hs->buf, "Sec-WebSocket-Extensions:", &len);
  if (ext && len > 0) {
    /* Only what was offered may be accepted (RFC 6455 section 9.1). */
    if (!ws_deflate || len < 18 || strncasecmp(ext, "permessage-deflate", 18) != 0) { refuse_handshake(fd, "an extension the client did not offer"); return; }
    deflate_accepted++;
  }
  /* Frames right after the 101 (a greeting, a ping) are the server's first messages. */
  opened_with_rest(fd, hs, (int)(end + 4 - hs->buf));
}

static void watch(int fd, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* One step of a connection's TLS handshake; once done, the protocol's opening, or it counts. */
static void on_tls(int fd) {
  int want_write = 0;
  char why[160];
  int rc = tls_step(ssl_by_fd[fd], &want_write, why, sizeof why);
  if (rc == 0) { watch(fd, want_write ? EPOLLOUT : EPOLLIN | EPOLLRDHUP); return; }
  if (rc < 0) {
    snprintf(last_error, sizeof last_error, "tls handshake: %s", why);
    drop(fd, 1);
    failed++;
    return;
  }
  if (!tls_info[0]) tls_describe(ssl_by_fd[fd], tls_info, sizeof tls_info);
  watch(fd, EPOLLIN | EPOLLRDHUP);
  if (proto != P_TCP) start_handshake(fd);
  else count_established(fd);
}

/* TCP is connected: TLS first when asked, then the protocol's opening, or it counts now. */
static void connected(int fd) {
  if (ssl_by_fd[fd]) { state[fd] = TLS_HANDSHAKE; on_tls(fd); return; }
  if (proto != P_TCP) { start_handshake(fd); return; }
  count_established(fd);
}

static void on_event(int fd, uint32_t events) {
  if (state[fd] == CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err || (events & (EPOLLERR | EPOLLHUP))) {
      note_error("connect", err ? err : ECONNRESET);
      drop(fd, 0);
      failed++;
      return;
    }
    watch(fd, EPOLLIN | EPOLLRDHUP);
    connected(fd);
    return;
  }
  if (state[fd] == TLS_HANDSHAKE) { on_tls(fd); return; }
  if (state[fd] == HANDSHAKE) {
    on_handshake(fd);
    /* TLS may hold decrypted bytes of the record just read, which epoll cannot see. */
    while (state[fd] == HANDSHAKE && ssl_by_fd[fd] && tls_pending(ssl_by_fd[fd]) > 0) on_handshake(fd);
    if (!(state[fd] == OPEN && ssl_by_fd[fd] && tls_pending(ssl_by_fd[fd]) > 0)) return;
  }
  if (state[fd] != OPEN) return;
  char buf[4096];
  for (;;) {
    ssize_t n = io_read(fd, buf, sizeof buf);
    if (n > 0) {
      if (proto == P_TCP) bytes_received += (unsigned long long)n;
      if (on_bytes(fd, buf, n) < 0) return;
      if ((size_t)n < sizeof buf) return; /* drained: level-triggered epoll reports anything later, saving a read() that says EAGAIN */
      continue;
    }
    if (n < 0 && errno == EAGAIN) return;
    /* The server closed (or reset) a connection it had accepted: it refused it. A WebSocket closed
       without a close frame is counted as 1006, the code RFC 6455 keeps for that. */
    peer_closed++;
    if (proto == P_WS) close_codes[1006]++;
    refused++;
    if (echo_round_on && echo_got[fd] < echo_reply_len) echo_closed++; /* closed before its echo (a wrong answer is counted already) */
    drop(fd, 0);
    return;
  }
}

/* MQTT keepalive: a PINGREQ on every open connection each half of the keepalive. */
static void keepalive_tick(void) {
  if (proto != P_MQTT || !mqtt_keepalive || now() < next_keepalive) return;
  static const unsigned char ping[2] = {0xC0, 0x00};
  for (long fd = 0; fd < fd_slots; fd++) {
    if (state[fd] == OPEN) io_write((int)fd, ping, 2);
  }
  next_keepalive = now() + mqtt_keepalive / 2.0;
}

static void poll_once(int timeout_ms) {
  static struct epoll_event events[4096];
  keepalive_tick();
  if (proto == P_MQTT && mqtt_keepalive) {
    int until_ping = (int)((next_keepalive - now()) * 1000) + 1;
    if (timeout_ms < 0 || until_ping < timeout_ms) timeout_ms = until_ping < 0 ? 0 : until_ping;
  }
  int n = epoll_wait(epfd, events, 4096, timeout_ms);
  if (stop_requested) quit();
  for (int i = 0; i < n; i++) {
    if (events[i].data.fd == STDIN_TAG) continue; /* read by the command loop */
    on_event(events[i].data.fd, events[i].events);
  }
}

static void open_until(long target) {
  double deadline = now() + open_timeout;
  long failed_at_start = failed, refused_at_start = refused;
  long give_up = target / 20 > 64 ? target / 20 : 64;
  long max_attempts = 2 * target + 1000;
  int stop = 0;
  last_error[0] = 0;
  hist_reset(&open_hist);
  while (established < target) {
    while (!stop && inflight < inflight_max && established + inflight < target) {
      if (attempts >= max_attempts) {
        snprintf(last_error, sizeof last_error, "gave up after %ld connection attempts for %ld connections", attempts, target);
        stop = 1;
        break;
      }
      int rc = start_connect();
      if (rc < 0) stop = 1;
      if (failed - failed_at_start >= give_up) stop = 1;
      if (refused - refused_at_start >= give_up) {
        snprintf(last_error, sizeof last_error, "the server refused %ld connections", refused - refused_at_start);
        stop = 1;
      }
    }
    if (inflight == 0 && (stop || established >= target)) break;
    if (now() > deadline) {
      for (long fd = 0; fd < fd_slots; fd++) {
        if (state[fd] == CONNECTING) { drop((int)fd, 1); failed++; }
      }
      note_error("connect", ETIMEDOUT);
      break;
    }
    poll_once(100);
  }
  print_count("open", target);
}

/* One round of traffic: the message on every open connection. A short write counts as failed. */
static void traffic_tick(void) {
  for (long fd = 0; fd < fd_slots; fd++) {
    if (state[fd] != OPEN) continue;
    size_t wire = traffic_wire;
    const char *message = proto == P_MQTT ? mqtt_publish_packet((int)fd, (size_t)traffic_size, &wire) : traffic_buf;
    ssize_t n = io_write((int)fd, message, wire);
    if (n == (ssize_t)wire) { bytes_sent += (unsigned long long)traffic_size; continue; }
    traffic_write_failed++;
    if (proto == P_TCP && !ssl_by_fd[fd]) { if (n > 0) bytes_sent += (unsigned long long)n; continue; }
    /* Half a frame, packet or TLS record cannot be taken back: the connection's stream is broken. */
    note_error("traffic write", n < 0 ? errno : EAGAIN);
    failed++;
    drop((int)fd, 1);
  }
  traffic_rounds++;
  next_tick += (double)traffic_interval_ms / 1000;
  if (next_tick < now()) next_tick = now(); /* a round longer than the interval: go on at once, no backlog */
}

/* Milliseconds until the next traffic round, or -1 when there is no traffic. */
static int idle_timeout(void) {
  if (!traffic_size) return -1;
  double left = next_tick - now();
  if (left <= 0) { traffic_tick(); left = next_tick - now(); }
  return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

/*
 * The traffic's message on the wire: size bytes of 'x', as they are or in a masked WebSocket text
 * frame. For MQTT only the payload, after PUBLISH_ROOM bytes: each connection's header goes before it.
 */
static size_t traffic_message(unsigned char *out, size_t size) {
  if (proto == P_MQTT) { memset(out + PUBLISH_ROOM, 'x', size); return 0; }
  if (proto != P_WS) { memset(out, 'x', size); return size; }
  size_t o = 0;
  out[o++] = 0x81;
  if (size < 126) out[o++] = (unsigned char)(0x80 | size);
  else if (size < 65536) { out[o++] = 0x80 | 126; out[o++] = (unsigned char)(size >> 8); out[o++] = (unsigned char)size; }
  else { out[o++] = 0x80 | 127; for (int i = 7; i >= 0; i--) out[o++] = (unsigned char)((uint64_t)size >> (8 * i)); }
  uint64_t m = next_random();
  memcpy(out + o, &m, 4);
  const unsigned char *mask = out + o;
  o += 4;
  for (size_t i = 0; i < size; i++) out[o + i] = (unsigned char)('x' ^ mask[i % 4]);
  return o + size;
}

static void traffic(long size, long interval_ms) {
  if (size > 0) {
    traffic_size = size > MAX_TRAFFIC ? MAX_TRAFFIC : size;
    traffic_interval_ms = interval_ms < 1 ? 1 : interval_ms;
    traffic_echo_len = traffic_size;
    traffic_wire = traffic_message((unsigned char *)traffic_buf, (size_t)traffic_size);
    traffic_rounds = traffic_write_failed = 0;
    bytes_sent = bytes_received = 0;
    next_tick = now();
  } else {
    traffic_size = 0;
    double deadline = now() + 10;
    while (bytes_received < bytes_sent && now() < deadline) poll_once(50);
  }
  printf("{\"event\":\"traffic\",\"size\":%ld,\"intervalMs\":%ld,\"rounds\":%ld,\"bytesSent\":%llu,"
         "\"bytesReceived\":%llu,\"writeFailed\":%ld,\"established\":%ld}\n",
         traffic_size, traffic_interval_ms, traffic_rounds, bytes_sent, bytes_received, traffic_write_failed, established);
  fflush(stdout);
}

static void echo_round(void) {
  long sent = 0, write_failed = 0;
  echoed_total = 0;
  echoed_compressed = 0;
  mismatched = 0;
  echo_closed = 0;
  echo_round_on = 1;
  for (long fd = 0; fd < fd_slots; fd++) {
    if (state[fd] != OPEN) continue;
    echo_got[fd] = 0;
    if (io_write((int)fd, echo_request, (size_t)echo_request_len) == echo_request_len) sent++;
    else write_failed++;
  }
  /* A 2-vCPU host with a hundred probe processes needs time: 30 s plus 0.5 ms per connection. */
  double deadline = now() + 30 + (double)sent / 2000;
  while (echoed_total + mismatched + echo_closed < sent && now() < deadline) poll_once(50);
  echo_round_on = 0;
  printf("{\"event\":\"echo\",\"sent\":%ld,\"echoed\":%ld,\"mismatched\":%ld,\"closed\":%ld,\"writeFailed\":%ld,\"established\":%ld,\"compressed\":%ld,\"firstBytes\":\"",
         sent, echoed_total, mismatched, echo_closed, write_failed, established, echoed_compressed);
  print_first_bytes();
  printf("\"}\n");
  fflush(stdout);
}

static void quit(void) {
  for (long fd = 0; fd < fd_slots; fd++) {
    if (state[fd] != NONE) drop((int)fd, 1);
  }
  print_count("count", 0);
  exit(0);
}

static void usage(void) {
  fprintf(stderr, "usage: echo-client --target IP:PORT [--target ...] [--source IP:LO-HI ...] [--inflight K] [--open-timeout S] [--protocol tcp|ws|mqtt|sse|stream|long-poll] [--path P] [--host H] [--tls [--ca FILE | --insecure] [--servername NAME] [--alpn P]] [--header 'K: V' ...] [--mqtt-keepalive S] [--mqtt-subscribe TOPIC] [--mqtt-echo] [--ws-deflate]\n");
  exit(2);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--target") == 0 && i + 1 < argc) {
      if (ntargets == MAX_TARGETS || parse_endpoint(argv[++i], &targets[ntargets++], 1) < 0) usage();
    } else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
      if (nsources == MAX_SOURCES || parse_source(argv[++i], &sources[nsources++]) < 0) usage();
    } else if (strcmp(argv[i], "--inflight") == 0 && i + 1 < argc) {
      inflight_max = atoi(argv[++i]);
      if (inflight_max < 1) usage();
    } else if (strcmp(argv[i], "--protocol") == 0 && i + 1 < argc) {
      const char *p = argv[++i];
      if (strcmp(p, "ws") == 0) proto = P_WS;
      else if (strcmp(p, "mqtt") == 0) proto = P_MQTT;
      else if (strcmp(p, "sse") == 0) proto = P_SSE;
      else if (strcmp(p, "stream") == 0) proto = P_STREAM;
      else if (strcmp(p, "long-poll") == 0) proto = P_LONGPOLL;
      else if (strcmp(p, "tcp") != 0) usage();
    } else if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) {
      ws_path = argv[++i];
      if (ws_path[0] != '/' || strpbrk(ws_path, " \r\n") || strlen(ws_path) > 512) usage();
    } else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      ws_host = argv[++i];
      if (strpbrk(ws_host, " \r\n") || strlen(ws_host) > 256) usage();
    } else if (strcmp(argv[i], "--mqtt-keepalive") == 0 && i + 1 < argc) {
      mqtt_keepalive = atoi(argv[++i]);
      if (mqtt_keepalive < 0 || mqtt_keepalive > 65535) usage();
    } else if (strcmp(argv[i], "--ws-deflate") == 0) {
      ws_deflate = 1;
    } else if (strcmp(argv[i], "--mqtt-echo") == 0) {
      mqtt_echo = 1;
    } else if (strcmp(argv[i], "--mqtt-subscribe") == 0 && i + 1 < argc) {
      mqtt_topic = argv[++i];
      if (!*mqtt_topic || strlen(mqtt_topic) > 512) usage();
    } else if (strcmp(argv[i], "--header") == 0 && i + 1 < argc) {
      const char *h = argv[++i];
      size_t len = strlen(h);
      if (!strchr(h, ':') || strpbrk(h, "\r\n") || extra_len + len + 3 > sizeof extra_headers) usage();
      memcpy(extra_headers + extra_len, h, len);
      memcpy(extra_headers + extra_len + len, "\r\n", 3);
      extra_len += len + 2;
    } else if (strcmp(argv[i], "--tls") == 0) {
      use_tls = 1;
    } else if (strcmp(argv[i], "--insecure") == 0) {
      tls_insecure = 1;
    } else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc) {
      tls_ca = argv[++i];
    } else if (strcmp(argv[i], "--servername") == 0 && i + 1 < argc) {
      tls_name = argv[++i];
      if (strlen(tls_name) > 253 || strpbrk(tls_name, " \r\n/")) usage();
    } else if (strcmp(argv[i], "--alpn") == 0 && i + 1 < argc) {
      tls_alpn = argv[++i];
    } else if (strcmp(argv[i], "--open-timeout") == 0 && i + 1 < argc) {
      open_timeout = atof(argv[++i]);
      if (open_timeout <= 0) usage();
    } else usage();
  }
  if (!ntargets) usage();
  fd_slots = setup_process(on_sigterm);
  state = calloc((size_t)fd_slots, 1);
  echo_got = calloc((size_t)fd_slots, 1);
  hs_by_fd = calloc((size_t)fd_slots, sizeof *hs_by_fd);
  sse_nl = calloc((size_t)fd_slots, 1);
  chunked = calloc((size_t)fd_slots, 1);
  chunk_state = calloc((size_t)fd_slots, 1);
  chunk_left = calloc((size_t)fd_slots, sizeof *chunk_left);
  ssl_by_fd = calloc((size_t)fd_slots, sizeof *ssl_by_fd);
  started_at = calloc((size_t)fd_slots, sizeof *started_at);
  rx_by_fd = calloc((size_t)fd_slots, sizeof *rx_by_fd);
  if (mqtt_echo && !(mqtt_id_by_fd = calloc((size_t)fd_slots, sizeof *mqtt_id_by_fd))) { perror("echo-client"); return 1; }
  if (proto == P_LONGPOLL) {
    lp_phase = calloc((size_t)fd_slots, 1);
    lp_left = calloc((size_t)fd_slots, sizeof *lp_left);
    if (!lp_phase || !lp_left) { perror("echo-client"); return 1; }
  }
  if (!hs_by_fd || !sse_nl || !chunked || !chunk_state || !chunk_left || !ssl_by_fd || !started_at || !rx_by_fd) { perror("echo-client"); return 1; }
  if (use_tls) {
    char why[200];
    if (tls_setup(tls_ca, tls_insecure, tls_alpn, why, sizeof why) < 0) { fprintf(stderr, "echo-client: %s\n", why); return 3; }
  }
  FILE *urandom = fopen("/dev/urandom", "rb");
  if (urandom) { if (fread(&rng_state, sizeof rng_state, 1, urandom) != 1 || !rng_state) rng_state = 0x9E3779B97F4A7C15ull; fclose(urandom); }
  rng_state ^= (uint64_t)getpid() << 32;
  if (!rng_state) rng_state = 1;
  memcpy(echo_request, ECHO_MSG, ECHO_LEN);
  memcpy(echo_reply, ECHO_MSG, ECHO_LEN);
  if (proto == P_WS) {
    /* A masked text frame out (FIN, opcode 1, 16 bytes), the unmasked frame of the same bytes back. */
    uint64_t m = next_random();
    unsigned char mask[4];
    memcpy(mask, &m, 4);
    echo_request[0] = 0x81; echo_request[1] = 0x80 | ECHO_LEN;
    memcpy(echo_request + 2, mask, 4);
    for (int i = 0; i < ECHO_LEN; i++) echo_request[6 + i] = (unsigned char)ECHO_MSG[i] ^ mask[i % 4];
    echo_request_len = 6 + ECHO_LEN;
    echo_reply[0] = 0x81; echo_reply[1] = ECHO_LEN;
    memcpy(echo_reply + 2, ECHO_MSG, ECHO_LEN);
    echo_reply_len = 2 + ECHO_LEN;
  }
  if (proto == P_MQTT) {
    /* PINGREQ out, PINGRESP back: MQTT's own round trip. */
    echo_request[0] = 0xC0; echo_request[1] = 0x00; echo_request_len = 2;
    echo_reply[0] = 0xD0; echo_reply[1] = 0x00; echo_reply_len = 2;
  }
  next_keepalive = now() + mqtt_keepalive / 2.0;
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (!state || !echo_got || epfd < 0) { perror("echo-client"); return 1; }
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = STDIN_TAG};
  epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev);

  printf("{\"event\":\"ready\",\"pid\":%d,\"nofile\":%ld,\"tls\":%s}\n", getpid(), fd_slots, tls_available() ? "true" : "false");
  fflush(stdout);

  char line[256];
  size_t used = 0;
  for (;;) {
    ssize_t n = read(0, line + used, sizeof line - 1 - used);
    if (n == 0 || (n < 0 && errno != EAGAIN)) quit();
    if (n < 0) { poll_once(idle_timeout()); continue; }
    used += (size_t)n;
    line[used] = 0;
    char *start = line, *nl;
    while ((nl = strchr(start, '\n'))) {
      *nl = 0;
      long count, interval;
      if (sscanf(start, "open %ld", &count) == 1 && count >= 0) open_until(count);
      else if (strcmp(start, "echo") == 0) echo_round();
      else if (sscanf(start, "traffic %ld %ld", &count, &interval) == 2 && count >= 0) traffic(count, interval);
      else if (strcmp(start, "count") == 0) print_count("count", established);
      else if (strcmp(start, "quit") == 0) quit();
      else if (*start) { printf("{\"event\":\"error\",\"message\":\"unknown command\"}\n"); fflush(stdout); }
      start = nl + 1;
    }
    used = strlen(start);
    memmove(line, start, used);
    if (used >= sizeof line - 1) used = 0;
  }
}
