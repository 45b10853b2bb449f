/* Scripted host: data-file parser, allocation table and log (see fake-host.h and README.md). */
#include "fake-host.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FakeHost host;
static INIT_ONCE hostOnce = INIT_ONCE_STATIC_INIT;
static HANDLE heap;
static SRWLOCK allocLock = SRWLOCK_INIT;
static HANDLE logFile = INVALID_HANDLE_VALUE;
static INIT_ONCE logOnce = INIT_ONCE_STATIC_INIT;

typedef struct {
  void *p;
  const char *kind;
  DWORD count;
} Live;
static Live *live;
static DWORD liveCount, liveCapacity;

/* --- log ------------------------------------------------------------------------------------------- */

static BOOL CALLBACK open_log(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once; (void)param; (void)ctx;
  WCHAR path[1024];
  DWORD n = GetEnvironmentVariableW(L"RDSLEAK_FAKE_LOG", path, 1024);
  if (n > 0 && n < 1024) {
    /* FILE_APPEND_DATA: every WriteFile lands at the end, so both DLLs can share one log. */
    logFile = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  }
  return TRUE;
}

void fake_log(const char *format, ...) {
  InitOnceExecuteOnce(&logOnce, open_log, NULL, NULL);
  if (logFile == INVALID_HANDLE_VALUE) return;
  char line[512];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(line, sizeof line - 1, format, args);
  va_end(args);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  DWORD written;
  WriteFile(logFile, line, (DWORD)n, &written, NULL); /* one write per line: lines never interleave */
}

/* --- allocations ------------------------------------------------------------------------------------ */

void *fake_alloc(SIZE_T bytes, const char *kind, DWORD count) {
  AcquireSRWLockExclusive(&allocLock);
  if (!heap) heap = HeapCreate(0, 0, 0);
  void *p = HeapAlloc(heap, HEAP_ZERO_MEMORY, bytes ? bytes : 1);
  if (p) {
    if (liveCount == liveCapacity) {
      DWORD next = liveCapacity ? liveCapacity * 2 : 64;
      Live *grown = HeapAlloc(GetProcessHeap(), 0, next * sizeof(Live));
      if (grown && live) memcpy(grown, live, liveCount * sizeof(Live));
      if (live) HeapFree(GetProcessHeap(), 0, live);
      live = grown;
      liveCapacity = next;
    }
    live[liveCount].p = p;
    live[liveCount].kind = kind;
    live[liveCount].count = count;
    liveCount++;
    fake_log("alloc %s %lu/%p count=%lu bytes=%lu", kind, (unsigned long)GetCurrentProcessId(), p, (unsigned long)count, (unsigned long)bytes);
  }
  ReleaseSRWLockExclusive(&allocLock);
  return p;
}

BOOL fake_free(void *p, const char *function, const char *detail) {
  BOOL found = FALSE;
  AcquireSRWLockExclusive(&allocLock);
  for (DWORD i = liveCount; i-- > 0;) {
    if (live[i].p == p) {
      live[i] = live[--liveCount];
      found = TRUE;
      break;
    }
  }
  fake_log("free %s %lu/%p %s result=%s", function, (unsigned long)GetCurrentProcessId(), p, detail, found ? "ok" : "unknown");
  if (found) HeapFree(heap, 0, p);
  ReleaseSRWLockExclusive(&allocLock);
  return found;
}

/* --- data file ---------------------------------------------------------------------------------------- */

static void *grow(void *array, DWORD count, DWORD *capacity, SIZE_T element) {
  if (count < *capacity) return array;
  DWORD next = *capacity ? *capacity * 2 : 16;
  void *grown = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, next * element);
  if (array) {
    memcpy(grown, array, count * element);
    HeapFree(GetProcessHeap(), 0, array);
  }
  *capacity = next;
  return grown;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* A value with %XX escapes -> newly allocated UTF-16 string. */
static WCHAR *wide(const char *value, size_t length) {
  char *bytes = HeapAlloc(GetProcessHeap(), 0, length + 1);
  size_t n = 0;
  for (size_t i = 0; i < length; i++) {
    if (value[i] == '%' && i + 2 < length && hexval(value[i + 1]) >= 0 && hexval(value[i + 2]) >= 0) {
      bytes[n++] = (char)(hexval(value[i + 1]) * 16 + hexval(value[i + 2]));
      i += 2;
    } else {
      bytes[n++] = value[i];
    }
  }
  int chars = MultiByteToWideChar(CP_UTF8, 0, bytes, (int)n, NULL, 0);
  WCHAR *out = HeapAlloc(GetProcessHeap(), 0, (chars + 1) * sizeof(WCHAR));
  MultiByteToWideChar(CP_UTF8, 0, bytes, (int)n, out, chars);
  out[chars] = 0;
  HeapFree(GetProcessHeap(), 0, bytes);
  return out;
}

static BOOL parse_luid(const char *text, LUID *out) {
  /* HIGH:LOW in hex, as the agent prints logon ids */
  char *end;
  unsigned long high = strtoul(text, &end, 16);
  if (*end != ':') return FALSE;
  unsigned long low = strtoul(end + 1, &end, 16);
  if (*end != 0) return FALSE;
  out->HighPart = (LONG)high;
  out->LowPart = (DWORD)low;
  return TRUE;
}

static BOOL parse_sid(const char *text, BYTE *sid, DWORD *length) {
  /* S-1-<authority>-<sub>... */
  if (strncmp(text, "S-1-", 4) != 0) return FALSE;
  const char *p = text + 4;
  char *end;
  unsigned long long authority = strtoull(p, &end, 10);
  DWORD count = 0;
  DWORD subs[15];
  while (*end == '-' && count < 15) {
    subs[count++] = (DWORD)strtoul(end + 1, &end, 10);
  }
  if (*end != 0) return FALSE;
  sid[0] = 1;
  sid[1] = (BYTE)count;
  for (int i = 0; i < 6; i++) sid[2 + i] = (BYTE)(authority >> (8 * (5 - i)));
  memcpy(sid + 8, subs, count * 4);
  *length = 8 + 4 * count;
  return TRUE;
}

typedef struct {
  const char *key;
  size_t keyLength;
  const char *value; /* NULL for a bare word */
  size_t valueLength;
} Field;

static BOOL is(const Field *f, const char *key) {
  return f->keyLength == strlen(key) && strncmp(f->key, key, f->keyLength) == 0;
}

static char *cstr(const Field *f) {
  static char buffer[256];
  size_t n = f->valueLength < sizeof buffer - 1 ? f->valueLength : sizeof buffer - 1;
  memcpy(buffer, f->value ? f->value : "", n);
  buffer[n] = 0;
  return buffer;
}

static DWORD number(const Field *f) {
  return (DWORD)strtoul(cstr(f), NULL, 0);
}

static void parse_line(char *line, DWORD lineNumber, DWORD *sessionCap, DWORD *logonCap, DWORD *tokenCap) {
  Field fields[32];
  DWORD n = 0;
  char *p = line;
  while (*p && n < 32) {
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) break;
    char *start = p;
    while (*p && *p != ' ' && *p != '\t') p++;
    char *eq = memchr(start, '=', (size_t)(p - start));
    fields[n].key = start;
    fields[n].keyLength = eq ? (size_t)(eq - start) : (size_t)(p - start);
    fields[n].value = eq ? eq + 1 : NULL;
    fields[n].valueLength = eq ? (size_t)(p - eq - 1) : 0;
    n++;
  }
  if (n == 0) return;
  const Field *rec = &fields[0];
  if (is(rec, "session")) {
    host.sessions = grow(host.sessions, host.sessionCount, sessionCap, sizeof(FakeSession));
    FakeSession *s = &host.sessions[host.sessionCount++];
    for (DWORD i = 1; i < n; i++) {
      const Field *f = &fields[i];
      if (is(f, "id")) s->id = number(f);
      else if (is(f, "state")) s->state = number(f);
      else if (is(f, "name")) s->name = wide(f->value, f->valueLength);
      else if (is(f, "user")) s->user = wide(f->value, f->valueLength);
      else if (is(f, "domain")) s->domain = wide(f->value, f->valueLength);
      else if (is(f, "host")) s->host = wide(f->value, f->valueLength);
      else if (is(f, "farm")) s->farm = wide(f->value, f->valueLength);
      else fake_log("error line %lu: unknown session field %.*s", (unsigned long)lineNumber, (int)f->keyLength, f->key);
    }
  } else if (is(rec, "logon")) {
    host.logons = grow(host.logons, host.logonCount, logonCap, sizeof(FakeLogon));
    FakeLogon *l = &host.logons[host.logonCount++];
    l->size = sizeof(SECURITY_LOGON_SESSION_DATA);
    for (DWORD i = 1; i < n; i++) {
      const Field *f = &fields[i];
      if (is(f, "id")) {
        if (!parse_luid(cstr(f), &l->id)) fake_log("error line %lu: bad logon id %s", (unsigned long)lineNumber, cstr(f));
      } else if (is(f, "type")) l->type = number(f);
      else if (is(f, "session")) l->session = number(f);
      else if (is(f, "user")) l->user = wide(f->value, f->valueLength);
      else if (is(f, "domain")) l->domain = wide(f->value, f->valueLength);
      else if (is(f, "package")) l->package = wide(f->value, f->valueLength);
      else if (is(f, "sid")) {
        if (!parse_sid(cstr(f), l->sid, &l->sidLength)) fake_log("error line %lu: bad sid %s", (unsigned long)lineNumber, cstr(f));
      } else if (is(f, "time")) l->logonTime = (LONGLONG)strtoull(cstr(f), NULL, 10);
      else if (is(f, "status")) l->status = number(f);
      else if (is(f, "size")) l->size = number(f);
      else if (is(f, "null-data")) l->nullData = TRUE;
      else if (is(f, "unterminated")) l->unterminated = TRUE;
      else fake_log("error line %lu: unknown logon field %.*s", (unsigned long)lineNumber, (int)f->keyLength, f->key);
    }
  } else if (is(rec, "token")) {
    host.tokens = grow(host.tokens, host.tokenCount, tokenCap, sizeof(FakeToken));
    FakeToken *t = &host.tokens[host.tokenCount++];
    for (DWORD i = 1; i < n; i++) {
      const Field *f = &fields[i];
      if (is(f, "id")) parse_luid(cstr(f), &t->tokenId);
      else if (is(f, "logon")) parse_luid(cstr(f), &t->logonId);
      else fake_log("error line %lu: unknown token field %.*s", (unsigned long)lineNumber, (int)f->keyLength, f->key);
    }
  } else if (is(rec, "token-default") && n > 1 && is(&fields[1], "logon")) {
    host.hasDefaultLogon = parse_luid(cstr(&fields[1]), &host.defaultLogon);
  } else if (is(rec, "wts-ex-error") && n > 1) {
    host.wtsExError = number(&(Field){ .value = fields[1].key, .valueLength = fields[1].keyLength });
  } else if (is(rec, "wts-error") && n > 1) {
    host.wtsError = number(&(Field){ .value = fields[1].key, .valueLength = fields[1].keyLength });
  } else if (is(rec, "lsa-enum-status") && n > 1) {
    host.lsaEnumStatus = number(&(Field){ .value = fields[1].key, .valueLength = fields[1].keyLength });
  } else {
    fake_log("error line %lu: unknown record %.*s", (unsigned long)lineNumber, (int)rec->keyLength, rec->key);
  }
}

static BOOL CALLBACK load_host(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once; (void)param; (void)ctx;
  WCHAR path[1024];
  DWORD n = GetEnvironmentVariableW(L"RDSLEAK_FAKE_HOST", path, 1024);
  if (n == 0 || n >= 1024) {
    fake_log("host none (RDSLEAK_FAKE_HOST not set)");
    return TRUE;
  }
  HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING, 0, NULL);
  if (f == INVALID_HANDLE_VALUE) {
    fake_log("error host file cannot be opened (error %lu)", (unsigned long)GetLastError());
    return TRUE;
  }
  LARGE_INTEGER size;
  GetFileSizeEx(f, &size);
  char *text = HeapAlloc(GetProcessHeap(), 0, (SIZE_T)size.QuadPart + 1);
  DWORD read = 0, total = 0;
  while (total < (DWORD)size.QuadPart && ReadFile(f, text + total, (DWORD)size.QuadPart - total, &read, NULL) && read > 0) total += read;
  CloseHandle(f);
  text[total] = 0;
  DWORD sessionCap = 0, logonCap = 0, tokenCap = 0, lineNumber = 0;
  for (char *line = text; line && *line;) {
    char *next = strchr(line, '\n');
    if (next) *next++ = 0;
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r') line[len - 1] = 0;
    lineNumber++;
    /* Only a line whose first non-blank character is '#' is a comment: `RDP-Tcp#12` is data. */
    char *first = line;
    while (*first == ' ' || *first == '\t') first++;
    if (*first && *first != '#') parse_line(first, lineNumber, &sessionCap, &logonCap, &tokenCap);
    line = next;
  }
  HeapFree(GetProcessHeap(), 0, text);
  host.loaded = TRUE;
  fake_log("host loaded sessions=%lu logons=%lu tokens=%lu", (unsigned long)host.sessionCount, (unsigned long)host.logonCount, (unsigned long)host.tokenCount);
  return TRUE;
}

const FakeHost *fake_host(void) {
  InitOnceExecuteOnce(&hostOnce, load_host, NULL, NULL);
  return &host;
}
