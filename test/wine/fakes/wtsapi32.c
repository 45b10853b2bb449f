/*
 * Replacement wtsapi32.dll serving the scripted host (README.md). Implements what the agent binds from
 * wtsapi32 (src/sources/windows/win32/bindings.ts): WTSEnumerateSessionsExW (level 1), WTSFreeMemoryExW,
 * WTSEnumerateSessionsW, WTSFreeMemory. As on Windows, each result is ONE heap block holding the array
 * followed by its strings; it must be freed with the matching free function (logged).
 */
#include "fake-host.h"
#include "layout-checks.h"
#include <stdio.h>
#include <string.h>

static SIZE_T wlen(const WCHAR *s) {
  return s ? (wcslen(s) + 1) * sizeof(WCHAR) : 0;
}

/* Copies `s` to `*cursor` inside the block and advances it; NULL stays NULL. */
static WCHAR *place(const WCHAR *s, BYTE **cursor) {
  if (!s) return NULL;
  SIZE_T n = wlen(s);
  memcpy(*cursor, s, n);
  WCHAR *at = (WCHAR *)*cursor;
  *cursor += n;
  return at;
}

__declspec(dllexport) BOOL WINAPI WTSEnumerateSessionsExW(HANDLE server, DWORD *level, DWORD filter, WTS_SESSION_INFO_1W **info, DWORD *count) {
  const FakeHost *h = fake_host();
  if (!level || !info || !count || *level != 1 || filter != 0 || (server != WTS_CURRENT_SERVER_HANDLE)) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  if (h->wtsExError) {
    fake_log("call WTSEnumerateSessionsExW fails error=%lu", (unsigned long)h->wtsExError);
    SetLastError(h->wtsExError);
    return FALSE;
  }
  SIZE_T bytes = h->sessionCount * sizeof(WTS_SESSION_INFO_1W);
  for (DWORD i = 0; i < h->sessionCount; i++) {
    const FakeSession *s = &h->sessions[i];
    bytes += wlen(s->name) + wlen(s->host) + wlen(s->user) + wlen(s->domain) + wlen(s->farm);
  }
  WTS_SESSION_INFO_1W *array = fake_alloc(bytes, "wts1", h->sessionCount);
  if (!array) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return FALSE;
  }
  BYTE *cursor = (BYTE *)(array + h->sessionCount);
  for (DWORD i = 0; i < h->sessionCount; i++) {
    const FakeSession *s = &h->sessions[i];
    array[i].ExecEnvId = i;
    array[i].State = (WTS_CONNECTSTATE_CLASS)s->state;
    array[i].SessionId = s->id;
    array[i].pSessionName = place(s->name, &cursor);
    array[i].pHostName = place(s->host, &cursor);
    array[i].pUserName = place(s->user, &cursor);
    array[i].pDomainName = place(s->domain, &cursor);
    array[i].pFarmName = place(s->farm, &cursor);
  }
  *info = array;
  *count = h->sessionCount;
  return TRUE;
}

__declspec(dllexport) BOOL WINAPI WTSEnumerateSessionsW(HANDLE server, DWORD reserved, DWORD version, WTS_SESSION_INFOW **info, DWORD *count) {
  const FakeHost *h = fake_host();
  if (!info || !count || reserved != 0 || version != 1 || server != WTS_CURRENT_SERVER_HANDLE) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  if (h->wtsError) {
    fake_log("call WTSEnumerateSessionsW fails error=%lu", (unsigned long)h->wtsError);
    SetLastError(h->wtsError);
    return FALSE;
  }
  SIZE_T bytes = h->sessionCount * sizeof(WTS_SESSION_INFOW);
  for (DWORD i = 0; i < h->sessionCount; i++) bytes += wlen(h->sessions[i].name);
  WTS_SESSION_INFOW *array = fake_alloc(bytes, "wts", h->sessionCount);
  if (!array) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return FALSE;
  }
  BYTE *cursor = (BYTE *)(array + h->sessionCount);
  for (DWORD i = 0; i < h->sessionCount; i++) {
    array[i].SessionId = h->sessions[i].id;
    array[i].pWinStationName = place(h->sessions[i].name, &cursor);
    array[i].State = (WTS_CONNECTSTATE_CLASS)h->sessions[i].state;
  }
  *info = array;
  *count = h->sessionCount;
  return TRUE;
}

__declspec(dllexport) BOOL WINAPI WTSFreeMemoryExW(WTS_TYPE_CLASS type, void *memory, ULONG count) {
  if (!memory) return TRUE;
  char detail[64];
  snprintf(detail, sizeof detail, "type=%d count=%lu", (int)type, (unsigned long)count);
  if (!fake_free(memory, "WTSFreeMemoryExW", detail)) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return FALSE;
  }
  return TRUE;
}

__declspec(dllexport) void WINAPI WTSFreeMemory(void *memory) {
  if (memory) fake_free(memory, "WTSFreeMemory", "-");
}
