/*
 * --app graphql-ws: the graphql-transport-ws protocol on WebSocket (the server must choose the
 * subprotocol). connection_init (with --init-payload's JSON), the session counts on
 * connection_ack; with --subscribe-query one subscription per connection (id 1), whose `next`
 * messages are pushed. ping is answered with pong; `error` refuses; a close is quoted by code and
 * reason (4403 Forbidden, 4408 Connection initialisation timeout).
 */
#ifndef C1M_APP_GRAPHQL_WS_H
#define C1M_APP_GRAPHQL_WS_H

#include "client-app.h"

static const char *gql_init_payload, *gql_query;

static int gql_option(const char *name, const char *value) {
  if (strcmp(name, "--init-payload") == 0) {
    gql_init_payload = value;
    return value[0] == '{' && strlen(value) < 2000 ? 1 : -1;
  }
  if (strcmp(name, "--subscribe-query") == 0) {
    gql_query = value;
    return strlen(value) < 2000 ? 1 : -1;
  }
  return 0;
}

static int gql_start(int fd) {
  char out[2100];
  int n = gql_init_payload ? snprintf(out, sizeof out, "{\"type\":\"connection_init\",\"payload\":%s}", gql_init_payload)
                           : snprintf(out, sizeof out, "{\"type\":\"connection_init\"}");
  return app_send(fd, out, (size_t)n) < 0 ? -1 : APP_NONE;
}

static int gql_on_text(int fd, const char *msg, size_t len) {
  (void)len;
  if (app_json_is(msg, "type", "connection_ack")) {
    if (conns[fd].state != SESSION) return APP_NONE;
    if (gql_query) {
      char query[APP_MSG_MAX / 2], out[APP_MSG_MAX];
      app_json_escape(gql_query, query, sizeof query);
      int n = snprintf(out, sizeof out, "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"%s\"}}", query);
      if (app_send(fd, out, (size_t)n) < 0) return -1;
    }
    return APP_ACCEPTED;
  }
  if (app_json_is(msg, "type", "ping")) {
    if (app_send_text(fd, "{\"type\":\"pong\"}") < 0) return -1;
    heartbeats_answered++;
    return APP_NONE;
  }
  if (app_json_is(msg, "type", "pong")) { heartbeats_answered++; return APP_NONE; }
  if (app_json_is(msg, "type", "next")) return APP_PUSHED;
  if (app_json_is(msg, "type", "error")) {
    char why[200];
    const char *payload = strstr(msg, "\"payload\":");
    snprintf(why, sizeof why, "graphql-ws: error: %.150s", payload ? payload + 10 : msg);
    return refuse_session(fd, why);
  }
  return APP_NONE; /* complete */
}

static const struct app app_graphql_ws = {
  .name = "graphql-ws", .option = gql_option, .start = gql_start, .on_text = gql_on_text,
  .subprotocol = "graphql-transport-ws", .ws_only = 1,
};

#endif
