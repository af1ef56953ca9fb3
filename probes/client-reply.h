/* The load client's JSON replies on stdout, one line each: open and count, echo, traffic. */
#ifndef C1M_CLIENT_REPLY_H
#define C1M_CLIENT_REPLY_H

#include "client.h"
#include "traffic-latency.h"

static char tls_info[200] = "";
static int sources_left(void);

/* The kept bytes as a JSON string body: printable ASCII as is, everything else \u00XX. */
static void print_first_bytes(void) {
  for (int i = 0; i < first_len; i++) {
    unsigned char c = first_bytes[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') putchar(c);
    else printf("\\u%04x", c);
  }
}

/* The counters: "open" (with the histogram of times to count, and TLS's terms) or "count". */
static void print_count(const char *event, long target) {
  for (char *c = last_error; *c; c++) if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) *c = '?';
  printf("{\"event\":\"%s\",\"target\":%ld,\"established\":%ld,\"failed\":%ld,\"peerClosed\":%ld,"
         "\"refused\":%ld,\"unexpected\":%ld,\"attempts\":%ld,\"addrInUse\":%ld,\"sourcesLeft\":%s,\"pushedBytes\":%llu,\"pushedEvents\":%llu,"
         "\"pingsAnswered\":%llu,\"keepaliveAnswers\":%llu,\"deflateAccepted\":%ld,\"deflateResponse\":\"%s\",\"closeCodes\":\"",
         event, target, established, failed, peer_closed, refused, unexpected, attempts, addr_in_use, sources_left() ? "true" : "false", pushed_bytes, pushed_events, pings_answered, keepalive_answers, deflate_accepted, deflate_response);
  int first = 1;
  for (int code = 0; code < 5000; code++) {
    if (close_codes[code]) { printf("%s%d:%lu", first ? "" : ",", code, close_codes[code]); first = 0; }
  }
  printf("\",\"sessionsAccepted\":%llu,\"sessionsRefused\":%llu,\"heartbeatsAnswered\":%llu,\"heartbeatsSent\":%llu,\"sessionError\":\"",
         sessions_accepted, sessions_refused, heartbeats_answered, heartbeats_sent);
  for (const char *c = session_error; *c; c++) printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
  printf("\"");
  printf(",\"error\":\"%s\",\"firstBytes\":\"", last_error);
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

static void print_echo(long sent, long write_failed) {
  printf("{\"event\":\"echo\",\"sent\":%ld,\"echoed\":%ld,\"mismatched\":%ld,\"closed\":%ld,\"writeFailed\":%ld,\"established\":%ld,\"compressed\":%ld,\"firstBytes\":\"",
         sent, echoed_total, mismatched, echo_closed, write_failed, established, echoed_compressed);
  print_first_bytes();
  printf("\"}\n");
  fflush(stdout);
}

static void print_traffic(long size, long interval_ms, long rounds, long write_failed) {
  printf("{\"event\":\"traffic\",\"size\":%ld,\"intervalMs\":%ld,\"rounds\":%ld,\"bytesSent\":%llu,"
         "\"bytesReceived\":%llu,\"writeFailed\":%ld,\"established\":%ld,",
         size, interval_ms, rounds, bytes_sent, bytes_received, write_failed, established);
  print_traffic_latency();
  printf("}\n");
  fflush(stdout);
}

#endif
