// The fan-out bench's native SSE receiver (Linux): thousands of TCP connections on one epoll,
// speaking the same stdin/stdout protocol as clients.ts. It exists because the clients share
// the machine with the server they measure: a JavaScript client spends its own CPU parsing
// 5,000 streams and stamps each read late, which inflates the server's latency. Here every
// read asks the kernel when its bytes arrived (SO_TIMESTAMPNS) and also notes when the process
// read them; both are saved, so the bench can report arrival and read time side by side.
// Compiled at bench time by Bun's built-in C compiler (bun:ffi `cc`); see native-clients.ts.
// `open <n> <port> <path> <cookie file>` opens browser-like clients (receiver-browser.c).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STDIN_TAG 0xffffffffu

// glibc packs struct epoll_event on x86-64 (12 bytes) and Bun's C compiler ignores that
// attribute, so the layout the kernel expects is spelled out here.
#if defined(__x86_64__)
typedef struct { uint32_t events, tag, unused; } event_t;
#else
typedef struct { uint32_t events, unused; uint64_t tag; } event_t;
#endif
#define TAIL 24
#include "receiver-browser.c"

typedef struct {
  int fd;
  int connected;
  long last_id; // newest position seen, -1 before the first
  int tail_len; // an `id:` line may be split across reads: keep the end of the last one
  char tail[TAIL];
  browser_t *browser; // browser mode: its response head, chunking and decoder; NULL otherwise
} client_t;

// One row per position: when each client got it (0: not yet). Rows are as wide as the number
// of clients when the position first arrived; later clients are not timed for it.
typedef struct {
  int width;
  double *arrived;
  double *read;
} row_t;

static client_t *clients;
static int client_count, client_cap, connected, epoll_fd;
static row_t *rows;
static long row_cap;
static long events, reads, stamped_reads;
static long long bytes_read;

static double wall_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static row_t *row_at(long position) {
  if (position >= row_cap) {
    long cap = row_cap ? row_cap : 1024;
    while (cap <= position) cap *= 2;
    rows = realloc(rows, cap * sizeof(row_t));
    memset(rows + row_cap, 0, (cap - row_cap) * sizeof(row_t));
    row_cap = cap;
  }
  row_t *row = &rows[position];
  if (!row->arrived) {
    row->width = client_count;
    row->arrived = calloc(client_count, sizeof(double));
    row->read = calloc(client_count, sizeof(double));
  }
  return row;
}

// A patch at `id` brings the client's view to `id`: it received every position since its last.
// A read holding several patches stamps them all with the newest one's arrival: late, never early.
static void record(int index, long id, double arrived, double read) {
  client_t *c = &clients[index];
  if (c->last_id >= 0)
    for (long p = c->last_id + 1; p <= id; p++) {
      row_t *row = row_at(p);
      if (index < row->width) row->arrived[index] = arrived, row->read[index] = read;
    }
  c->last_id = id;
}

static void on_text(int index, const char *data, int length, double arrived, double read) {
  client_t *c = &clients[index];
  static char text[TAIL + 65536 + 1];
  memcpy(text, c->tail, c->tail_len);
  memcpy(text + c->tail_len, data, length);
  int total = c->tail_len + length;
  text[total] = 0;
  if (!c->browser && !c->connected && strstr(text, " 200 ")) c->connected = 1, connected++;
  long newest = -1;
  for (char *at = text; (at = strstr(at, "id: ")); at += 4) {
    if (at != text && at[-1] != '\n') continue;
    char *end;
    long id = strtol(at + 4, &end, 10);
    // Count each event once: the kept tail may hold an id already seen.
    if (*end == '\n' && id > c->last_id && id > newest) events++, newest = id;
  }
  if (newest >= 0) record(index, newest, arrived, read);
  c->tail_len = total < TAIL ? total : TAIL;
  memcpy(c->tail, text + total - c->tail_len, c->tail_len);
}

static void drop(int index) {
  client_t *c = &clients[index];
  if (c->fd < 0) return;
  if (c->connected) connected--;
  c->connected = 0;
  browser_free(c->browser);
  c->browser = NULL;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
}

static void read_client(int index) {
  static char data[65536];
  char control[CMSG_SPACE(sizeof(struct timespec))];
  for (;;) {
    struct iovec iov = {data, sizeof data};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    int n = recvmsg(clients[index].fd, &message, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return drop(index);
    double read = wall_ms(), arrived = read;
    reads++;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&message); cm; cm = CMSG_NXTHDR(&message, cm))
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(cm), sizeof ts);
        arrived = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
        stamped_reads++;
      }
    bytes_read += n;
    client_t *c = &clients[index];
    if (!c->browser) on_text(index, data, n, arrived, read);
    else if (browser_bytes(index, c->browser, data, n, arrived, read) && !c->connected) c->connected = 1, connected++;
    if (n < (int)sizeof data) return;
  }
}

// Waits up to `timeout_ms` for readable sockets; returns 1 when stdin has a command waiting.
static int pump(int timeout_ms) {
  event_t ready[512];
  int n = epoll_wait(epoll_fd, (struct epoll_event *)ready, 512, timeout_ms), command = 0;
  for (int i = 0; i < n; i++) {
    if (ready[i].tag == STDIN_TAG) command = 1;
    else read_client((int)ready[i].tag);
  }
  return command;
}

static void open_clients(int count, int port, const char *path, const char *cookie_file) {
  if (client_count + count > client_cap) {
    client_cap = client_count + count;
    clients = realloc(clients, client_cap * sizeof(client_t));
  }
  char **cookies = read_cookies(cookie_file, count);
  char request[4096 + 512];
  int length = snprintf(request, sizeof request,
                        "GET %s HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n", path);
  int first = client_count;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  int on = 1, target = client_count + count;
  while (client_count < target) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
      perror("receiver: connect");
      if (fd >= 0) close(fd);
      break;
    }
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    int index = client_count++;
    clients[index] = (client_t){.fd = fd, .last_id = -1};
    if (cookies) {
      const char *cookie = cookies[index - first] ? cookies[index - first] : "";
      length = snprintf(request, sizeof request,
                        "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n"
                        "Accept-Encoding: gzip, deflate, br, zstd\r\nCookie: %s\r\n\r\n",
                        path, port, cookie);
      clients[index].browser = calloc(1, sizeof(browser_t));
    }
    send(fd, request, length, 0);
    event_t interest = {.events = EPOLLIN, .tag = index};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, (struct epoll_event *)&interest);
    // Open in batches of 250, waiting for each batch's responses, as clients.ts does.
    if (client_count % 250 == 0 || client_count == target)
      for (double until = wall_ms() + 20000; connected < client_count && wall_ms() < until;) pump(10);
  }
  if (cookies) {
    for (int i = 0; i < count; i++) free(cookies[i]);
    free(cookies);
  }
}

// {"identity":n,...}: how many browser-mode clients were answered in each Content-Encoding.
static void print_encodings(void) {
  int counts[ENCODINGS] = {0};
  for (int i = 0; i < client_count; i++)
    if (clients[i].browser) counts[clients[i].browser->encoding]++;
  printf("{");
  for (int e = 0, first = 1; e < ENCODINGS; e++)
    if (counts[e]) printf("%s\"%s\":%d", first ? "" : ",", ENCODING_NAMES[e], counts[e]), first = 0;
  printf("}");
}

// Writes every row as float64s: position, width, `width` arrival times, `width` read times.
static int save(const char *path) {
  FILE *file = fopen(path, "wb");
  if (!file) return -1;
  for (long p = 0; p < row_cap; p++) {
    row_t *row = &rows[p];
    if (!row->arrived) continue;
    double head[2] = {(double)p, (double)row->width};
    fwrite(head, sizeof(double), 2, file);
    fwrite(row->arrived, sizeof(double), row->width, file);
    fwrite(row->read, sizeof(double), row->width, file);
  }
  return fclose(file);
}

static void reset(void) {
  for (long p = 0; p < row_cap; p++) {
    free(rows[p].arrived);
    free(rows[p].read);
    rows[p] = (row_t){0};
  }
  events = reads = stamped_reads = 0;
}

// Runs one command line; returns 0 after `close`.
static int command(char *line) {
  char path[4096] = "/feed", cookie_file[4096] = "";
  int count, port;
  if (sscanf(line, "open %d %d %4095s %4095s", &count, &port, path, cookie_file) >= 2) {
    open_clients(count, port, path, cookie_file);
    printf("{\"connected\":%d,\"encodings\":", connected);
    print_encodings();
    printf("}\n");
  } else if (strcmp(line, "reset") == 0) {
    reset();
    printf("{\"ok\":true}\n");
  } else if (sscanf(line, "save %4095s", path) == 1) {
    int failed = save(path);
    printf("{\"events\":%ld,\"reads\":%ld,\"stampedReads\":%ld,\"saved\":%s}\n", events, reads, stamped_reads,
           failed ? "false" : "true");
  } else if (strcmp(line, "count") == 0) {
    printf("{\"connected\":%d,\"bytes\":%lld}\n", connected, bytes_read);
  } else if (strcmp(line, "close") == 0) {
    for (int i = 0; i < client_count; i++) drop(i);
    printf("{\"connected\":%d}\n", connected);
    fflush(stdout);
    return 0;
  } else {
    printf("{\"error\":\"unknown command\"}\n");
  }
  fflush(stdout);
  return 1;
}

/** Reads commands from stdin until `close` or end of input; returns 0, or 1 when it cannot start. */
int run(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  epoll_fd = epoll_create1(0);
  event_t interest = {.events = EPOLLIN, .tag = STDIN_TAG};
  if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, 0, (struct epoll_event *)&interest) < 0) return 1;
  static char input[1 << 16];
  int used = 0;
  for (;;) {
    if (!pump(-1)) continue;
    int n = read(0, input + used, sizeof input - used - 1);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return 0;
    used += n;
    for (char *newline; (newline = memchr(input, '\n', used));) {
      *newline = 0;
      if (!command(input)) return 0;
      used -= newline + 1 - input;
      memmove(input, newline + 1, used);
    }
  }
}
