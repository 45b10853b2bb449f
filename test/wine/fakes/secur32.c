/*
 * Replacement secur32.dll serving the scripted host's logon sessions (README.md): implements what the
 * agent binds from secur32 (src/sources/windows/win32/bindings.ts): LsaEnumerateLogonSessions,
 * LsaGetLogonSessionData, LsaFreeReturnBuffer. Each result is one heap block (structure, then its
 * strings and SID), freed only by LsaFreeReturnBuffer (logged).
 *
 * At load it also gives real tokens scripted logon ids (token-hook.c).
 */
#include "fake-host.h"
#include "layout-checks.h"
#include <stdio.h>
#include <string.h>

BOOL token_hook_install(void);
BOOL token_hook_ok(void);

static int luid_equal(const LUID *a, const LUID *b) {
  return a->LowPart == b->LowPart && a->HighPart == b->HighPart;
}

__declspec(dllexport) NTSTATUS NTAPI LsaEnumerateLogonSessions(PULONG count, PLUID *list) {
  const FakeHost *h = fake_host();
  if (!count || !list) return STATUS_INVALID_PARAMETER;
  if (h->tokenCount > 0 && !token_hook_ok()) {
    /* Loud: the scripted token logon ids would silently be Wine's 0:0. */
    fake_log("call LsaEnumerateLogonSessions fails: token hook not installed");
    return STATUS_INTERNAL_ERROR;
  }
  if (h->lsaEnumStatus) {
    fake_log("call LsaEnumerateLogonSessions fails status=0x%08lx", (unsigned long)h->lsaEnumStatus);
    return (NTSTATUS)h->lsaEnumStatus;
  }
  LUID *array = fake_alloc(h->logonCount * sizeof(LUID), "lsa-luids", h->logonCount);
  if (!array) return STATUS_NO_MEMORY;
  for (DWORD i = 0; i < h->logonCount; i++) array[i] = h->logons[i].id;
  *list = array;
  *count = h->logonCount;
  return STATUS_SUCCESS;
}

static SIZE_T string_bytes(const WCHAR *s, BOOL unterminated) {
  /* unterminated: 4 garbage characters follow the text instead of a NUL */
  return s ? (wcslen(s) + (unterminated ? 4 : 1)) * sizeof(WCHAR) : 0;
}

static void place(LSA_UNICODE_STRING *out, const WCHAR *s, BOOL unterminated, BYTE **cursor) {
  if (!s) return; /* Length 0, Buffer NULL */
  SIZE_T chars = wcslen(s);
  WCHAR *at = (WCHAR *)*cursor;
  memcpy(at, s, chars * sizeof(WCHAR));
  if (unterminated) {
    for (int i = 0; i < 4; i++) at[chars + i] = L'X';
  } else {
    at[chars] = 0;
  }
  out->Buffer = at;
  out->Length = (USHORT)(chars * sizeof(WCHAR));
  out->MaximumLength = (USHORT)string_bytes(s, unterminated);
  *cursor += string_bytes(s, unterminated);
}

__declspec(dllexport) NTSTATUS NTAPI LsaGetLogonSessionData(PLUID id, PSECURITY_LOGON_SESSION_DATA *data) {
  const FakeHost *h = fake_host();
  if (!id || !data) return STATUS_INVALID_PARAMETER;
  *data = NULL;
  const FakeLogon *l = NULL;
  for (DWORD i = 0; i < h->logonCount && !l; i++)
    if (luid_equal(&h->logons[i].id, id)) l = &h->logons[i];
  if (!l) return STATUS_NO_SUCH_LOGON_SESSION;
  if (l->status) return (NTSTATUS)l->status;
  if (l->nullData) return STATUS_SUCCESS;
  SIZE_T bytes = sizeof(SECURITY_LOGON_SESSION_DATA) + string_bytes(l->user, l->unterminated) + string_bytes(l->domain, l->unterminated) +
                 string_bytes(l->package, l->unterminated) + l->sidLength + 8;
  SECURITY_LOGON_SESSION_DATA *d = fake_alloc(bytes, "lsa-data", 1);
  if (!d) return STATUS_NO_MEMORY;
  BYTE *cursor = (BYTE *)(d + 1);
  d->Size = l->size;
  d->LogonId = l->id;
  place(&d->UserName, l->user, l->unterminated, &cursor);
  place(&d->LogonDomain, l->domain, l->unterminated, &cursor);
  place(&d->AuthenticationPackage, l->package, l->unterminated, &cursor);
  d->LogonType = l->type;
  d->Session = l->session;
  if (l->sidLength) {
    cursor = (BYTE *)(((ULONG_PTR)cursor + 3) & ~(ULONG_PTR)3); /* SIDs are DWORD-aligned */
    memcpy(cursor, l->sid, l->sidLength);
    d->Sid = cursor;
  }
  d->LogonTime.QuadPart = l->logonTime;
  *data = d;
  return STATUS_SUCCESS;
}

__declspec(dllexport) NTSTATUS NTAPI LsaFreeReturnBuffer(PVOID buffer) {
  if (!buffer) return STATUS_SUCCESS;
  return fake_free(buffer, "LsaFreeReturnBuffer", "-") ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
  (void)instance; (void)reserved;
  if (reason == DLL_PROCESS_ATTACH) token_hook_install();
  return TRUE;
}
