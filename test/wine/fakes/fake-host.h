/*
 * Scripted RDS host shared by the replacement wtsapi32.dll and secur32.dll (test/wine/fakes/README.md).
 * Each DLL links its own copy: the host is parsed once per DLL from the file named by RDSLEAK_FAKE_HOST,
 * and every allocation/free is appended to the file named by RDSLEAK_FAKE_LOG.
 */
#ifndef RDSLEAK_FAKE_HOST_H
#define RDSLEAK_FAKE_HOST_H

#include "windows-structs.h"

typedef struct {
  DWORD id;
  DWORD state;
  WCHAR *name; /* NULL when absent from the data file, L"" for `name=` */
  WCHAR *user;
  WCHAR *domain;
  WCHAR *host;
  WCHAR *farm;
} FakeSession;

typedef struct {
  LUID id;
  DWORD type;
  DWORD session;
  WCHAR *user;
  WCHAR *domain;
  WCHAR *package;
  BYTE sid[68];
  DWORD sidLength; /* 0: NULL Sid */
  LONGLONG logonTime;
  DWORD status;    /* LsaGetLogonSessionData returns this NTSTATUS instead of data when nonzero */
  BOOL nullData;   /* success with *ppLogonSessionData = NULL (LocalSystem 0x3e7) */
  DWORD size;      /* value written to Size (default sizeof(SECURITY_LOGON_SESSION_DATA)) */
  BOOL unterminated; /* strings without NUL, garbage after Length */
} FakeLogon;

typedef struct {
  LUID tokenId;
  LUID logonId;
} FakeToken;

typedef struct {
  FakeSession *sessions;
  DWORD sessionCount;
  FakeLogon *logons;
  DWORD logonCount;
  FakeToken *tokens;
  DWORD tokenCount;
  BOOL hasDefaultLogon;
  LUID defaultLogon;
  DWORD wtsExError;    /* WTSEnumerateSessionsExW fails with this Win32 error when nonzero */
  DWORD wtsError;      /* WTSEnumerateSessionsW likewise */
  DWORD lsaEnumStatus; /* LsaEnumerateLogonSessions returns this NTSTATUS when nonzero */
  BOOL loaded;         /* FALSE: no data file (or unreadable): the DLL answers like an empty host */
} FakeHost;

/* The host of this process (parsed on first use, thread-safe). */
const FakeHost *fake_host(void);

/* Appends one line to the allocation log (no-op without RDSLEAK_FAKE_LOG). printf-style, ASCII. */
void fake_log(const char *format, ...);

/* The private heap every fake allocation comes from, and the table of live allocations. */
void *fake_alloc(SIZE_T bytes, const char *kind, DWORD count);
/* Frees `p` if it is a live fake allocation and logs `free <function> <p> <detail> result=ok|unknown`
   (inside the allocation lock, before HeapFree, so a reused address is never logged out of order).
   Returns FALSE, freeing nothing, when `p` is not a live allocation (double or foreign free). */
BOOL fake_free(void *p, const char *function, const char *detail);

#endif
