/*
 * --app phoenix: Phoenix channels with the V2 JSON serializer (GET /socket/websocket?vsn=2.0.0; any
 * other target is answered 404). Every message is [join_ref, ref, topic, event, payload]:
 *   - a heartbeat [null, ref, "phoenix", "heartbeat", {}] is answered [null, ref, "phoenix",
 *     "phx_reply", {"status":"ok","response":{}}];
 *   - phx_join to a topic room:* (as a Phoenix app routes `channel "room:*"`) is answered phx_reply
 *     ok; to any other topic {"status":"error","response":{"reason":"unmatched topic"}}, as Phoenix
 *     answers a topic no channel is routed for;
 *   - phx_leave is answered ok;
 *   - any other event on a room:* topic is answered phx_reply ok and then pushed back to its sender
 *     alone as [join_ref, null, topic, event, payload] (no broadcast to the topic's other members).
 * The server keeps no list of joined topics: an event on a room:* topic not joined is answered too.
 * A socket that sends nothing for --idle-timeout (Phoenix's 60 s by default) is closed (1000), as
 * Phoenix's transport closes one without a heartbeat. A message that is not such an array closes
 * the connection.
 *
 * State per connection: struct conn's due tick.
 */
#ifndef C1M_SERVER_PHOENIX_H
#define C1M_SERVER_PHOENIX_H

#include "json-span.h"
#include "server-app.h"

static const char PHX_OK[] = "{\"status\":\"ok\",\"response\":{}}";
static const char PHX_UNMATCHED[] = "{\"status\":\"error\",\"response\":{\"reason\":\"unmatched topic\"}}";

static int phoenix_serves(const char *target) {
  return strncmp(target, "/socket/websocket?", 18) == 0 && query_has(target, "vsn=2.0.0");
}

static int phoenix_open(int fd) {
  due_in(fd, idle_timeout_ms);
  return 0;
}

/* Silent for too long: closed. */
static int phoenix_due(int fd) {
  app_timeouts++;
  app_send_close(fd, 1000);
  return -1;
}

/* [a, b, topic, event, payload] into one text frame; -1 when the connection failed. */
static int phoenix_send(int fd, struct json_span a, struct json_span b, struct json_span topic, const char *event,
                        size_t event_len, const char *payload, size_t payload_len) {
  size_t n = a.len + b.len + topic.len + event_len + payload_len + 8;
  char small[1024];
  char *out = n <= sizeof small ? small : malloc(n);
  if (!out) return -1;
  int len = snprintf(out, n, "[%.*s,%.*s,%.*s,%.*s,%.*s]", (int)a.len, a.at, (int)b.len, b.at, (int)topic.len, topic.at,
                     (int)event_len, event, (int)payload_len, payload);
  int rc = app_send(fd, out, (size_t)len);
  if (out != small) free(out);
  return rc;
}

static int phoenix_reply(int fd, struct json_span *m, const char *status) {
  return phoenix_send(fd, m[0], m[1], m[2], "\"phx_reply\"", 11, status, strlen(status));
}

static int phoenix_text(int fd, const char *msg, size_t len) {
  struct json_span m[5];
  if (json_array(msg, len, m, 5) != 5 || *m[2].at != '"' || *m[3].at != '"') return -1;
  due_in(fd, idle_timeout_ms);
  if (json_is(m[2], "\"phoenix\"") && json_is(m[3], "\"heartbeat\"")) {
    app_heartbeats++;
    return phoenix_reply(fd, m, PHX_OK);
  }
  int routed = m[2].len > 6 && memcmp(m[2].at, "\"room:", 6) == 0;
  if (!routed) {
    if (json_is(m[3], "\"phx_join\"")) app_refused++;
    return phoenix_reply(fd, m, PHX_UNMATCHED);
  }
  if (json_is(m[3], "\"phx_join\"")) {
    app_sessions++;
    return phoenix_reply(fd, m, PHX_OK);
  }
  if (json_is(m[3], "\"phx_leave\"")) return phoenix_reply(fd, m, PHX_OK);
  app_events++;
  echoed_bytes += len;
  struct json_span null = {"null", 4};
  if (phoenix_reply(fd, m, PHX_OK) < 0) return -1;
  return phoenix_send(fd, m[0], null, m[2], m[3].at, m[3].len, m[4].at, m[4].len);
}

static const struct server_app app_phoenix = {
    .name = "phoenix", .serves = phoenix_serves, .on_open = phoenix_open, .on_text = phoenix_text, .on_due = phoenix_due};

#endif
