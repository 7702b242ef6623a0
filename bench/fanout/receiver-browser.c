// Included by receiver.c: the browser mode of the native receiver. A client opened with a cookie
// file sends its own session and a browser's Accept-Encoding, then does what a browser's network
// stack does before it sees an event: reads the response head, undoes the chunked transfer
// coding and decodes gzip, deflate (zlib) or br (libbrotlidec). Linked with -lz -lbrotlidec.
#include <brotli/decode.h>
#include <strings.h>
#include <zlib.h>

enum { IDENTITY, GZIP, DEFLATE, BROTLI, UNDECODED, ENCODINGS };
static const char *ENCODING_NAMES[] = {"identity", "gzip", "deflate", "br", "undecoded"};

typedef struct {
  int head_done, status, chunked, encoding;
  char head[2048];
  int head_len;
  long chunk_left; // body bytes left in this chunk; -1 reading a size line, -2 the CRLF after data
  char size_line[24];
  int size_len;
  z_stream *z;
  BrotliDecoderState *br;
} browser_t;

static void on_text(int index, const char *data, int length, double arrived, double read);

static void browser_head(browser_t *b, const char *head) {
  b->status = atoi(strchr(head, ' ') ? strchr(head, ' ') + 1 : "0");
  for (const char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
    const char *at = line + 2;
    if (strncasecmp(at, "transfer-encoding:", 18) == 0 && strstr(at, "chunked")) b->chunked = 1;
    if (strncasecmp(at, "content-encoding:", 17) == 0) {
      at += 17;
      while (*at == ' ') at++;
      if (strncasecmp(at, "gzip", 4) == 0) b->encoding = GZIP;
      else if (strncasecmp(at, "deflate", 7) == 0) b->encoding = DEFLATE;
      else if (strncasecmp(at, "br", 2) == 0) b->encoding = BROTLI;
      else b->encoding = UNDECODED;
    }
  }
  if (b->encoding == GZIP || b->encoding == DEFLATE) {
    b->z = calloc(1, sizeof(z_stream));
    inflateInit2(b->z, 15 + 32); // 32: gzip or zlib header, whichever comes
  }
  if (b->encoding == BROTLI) b->br = BrotliDecoderCreateInstance(NULL, NULL, NULL);
  b->chunk_left = -1;
  b->head_done = 1;
}

static void browser_decode(int index, browser_t *b, const unsigned char *in, int length, double arrived, double read) {
  static unsigned char out[65536];
  if (b->encoding == IDENTITY) on_text(index, (const char *)in, length, arrived, read);
  if (b->z) {
    b->z->next_in = (unsigned char *)in, b->z->avail_in = length;
    do {
      b->z->next_out = out, b->z->avail_out = sizeof out;
      if (inflate(b->z, Z_SYNC_FLUSH) < 0) return;
      on_text(index, (const char *)out, sizeof out - b->z->avail_out, arrived, read);
    } while (b->z->avail_out == 0);
  }
  if (b->br) {
    size_t available_in = length, available_out;
    const uint8_t *next_in = in;
    BrotliDecoderResult result;
    do {
      uint8_t *next_out = out;
      available_out = sizeof out;
      result = BrotliDecoderDecompressStream(b->br, &available_in, &next_in, &available_out, &next_out, NULL);
      on_text(index, (const char *)out, sizeof out - available_out, arrived, read);
    } while (result == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
  }
}

/** One socket read of a browser-mode client; returns 1 once its response head said 200. */
static int browser_bytes(int index, browser_t *b, const char *data, int length, double arrived, double read) {
  int at = 0;
  if (!b->head_done) {
    int take = length < (int)sizeof b->head - 1 - b->head_len ? length : (int)sizeof b->head - 1 - b->head_len;
    memcpy(b->head + b->head_len, data, take);
    b->head[b->head_len + take] = 0;
    char *end = strstr(b->head, "\r\n\r\n");
    if (!end) return (b->head_len += take), 0;
    at = (int)(end + 4 - b->head) - b->head_len;
    *end = 0;
    browser_head(b, b->head);
  }
  static unsigned char payload[65536];
  int used = 0;
  while (at < length) {
    if (!b->chunked || b->chunk_left > 0) {
      int take = length - at;
      if (b->chunked && take > b->chunk_left) take = (int)b->chunk_left;
      memcpy(payload + used, data + at, take);
      used += take, at += take;
      if (b->chunked && (b->chunk_left -= take) == 0) b->chunk_left = -2;
      continue;
    }
    char byte = data[at++];
    if (b->chunk_left == -2) {
      if (byte == '\n') b->chunk_left = -1;
    } else if (byte != '\n') {
      if (b->size_len < (int)sizeof b->size_line - 1) b->size_line[b->size_len++] = byte;
    } else {
      b->size_line[b->size_len] = 0;
      b->chunk_left = strtol(b->size_line, NULL, 16);
      b->size_len = 0;
      if (b->chunk_left == 0) b->chunk_left = -2;
    }
  }
  if (used) browser_decode(index, b, payload, used, arrived, read);
  return b->status == 200;
}

// The Cookie header of each client to open, one a line; NULL when there is no such file.
static char **read_cookies(const char *file, int count) {
  FILE *in = *file ? fopen(file, "r") : NULL;
  if (!in) return NULL;
  char **cookies = calloc(count, sizeof(char *)), line[4096];
  for (int i = 0; i < count && fgets(line, sizeof line, in); i++) {
    size_t length = strcspn(line, "\r\n");
    cookies[i] = calloc(length + 1, 1); // not strdup: Bun's C compiler may not declare it, truncating the pointer
    memcpy(cookies[i], line, length);
  }
  fclose(in);
  return cookies;
}

static void browser_free(browser_t *b) {
  if (!b) return;
  if (b->z) inflateEnd(b->z), free(b->z);
  if (b->br) BrotliDecoderDestroyInstance(b->br);
  free(b);
}
