/*
 * Scripted logon ids for REAL tokens. Wine gives every token AuthenticationId 0:0, so at load this
 * patches advapi32's import slot for GetTokenInformation (Wine's advapi32 takes it from kernelbase) with
 * a wrapper that calls the real function and then rewrites only TokenStatistics.AuthenticationId of the
 * TokenIds the data file lists (`token id=... logon=...`, or `token-default logon=...` for all others).
 * The handle table, DuplicateHandle, the TokenId and the structure are Wine's real answers.
 *
 * It must never silently do nothing: the outcome is logged (`hook ok` / `hook FAILED <why>`), verified by
 * calling GetTokenInformation through advapi32's export, and LsaEnumerateLogonSessions fails while a
 * host with tokens is served without the hook.
 */
#include "fake-host.h"
#include <string.h>

typedef BOOL(WINAPI *GetTokenInformationFn)(HANDLE, TOKEN_INFORMATION_CLASS, LPVOID, DWORD, PDWORD);
static GetTokenInformationFn realGetTokenInformation;
static volatile LONG hookCalls;
static BOOL hookOk;

static BOOL WINAPI scripted_GetTokenInformation(HANDLE token, TOKEN_INFORMATION_CLASS cls, LPVOID info, DWORD length, PDWORD returned) {
  InterlockedIncrement(&hookCalls);
  BOOL ok = realGetTokenInformation(token, cls, info, length, returned);
  if (!ok || cls != TokenStatistics || !info || length < sizeof(TOKEN_STATISTICS)) return ok;
  TOKEN_STATISTICS *stats = info;
  const FakeHost *h = fake_host();
  for (DWORD i = 0; i < h->tokenCount; i++) {
    if (h->tokens[i].tokenId.LowPart == stats->TokenId.LowPart && h->tokens[i].tokenId.HighPart == stats->TokenId.HighPart) {
      stats->AuthenticationId = h->tokens[i].logonId;
      return ok;
    }
  }
  if (h->hasDefaultLogon) stats->AuthenticationId = h->defaultLogon;
  return ok;
}

/* advapi32's IAT slot importing GetTokenInformation, by import name (or by the address kernelbase exports). */
static void **find_slot(HMODULE module, void *target) {
  BYTE *base = (BYTE *)module;
  IMAGE_DOS_HEADER *dos = (IMAGE_DOS_HEADER *)base;
  IMAGE_NT_HEADERS *nt = (IMAGE_NT_HEADERS *)(base + dos->e_lfanew);
  IMAGE_DATA_DIRECTORY dir = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
  if (!dir.VirtualAddress) return NULL;
  for (IMAGE_IMPORT_DESCRIPTOR *d = (IMAGE_IMPORT_DESCRIPTOR *)(base + dir.VirtualAddress); d->Name; d++) {
    IMAGE_THUNK_DATA *iat = (IMAGE_THUNK_DATA *)(base + d->FirstThunk);
    IMAGE_THUNK_DATA *names = d->OriginalFirstThunk ? (IMAGE_THUNK_DATA *)(base + d->OriginalFirstThunk) : NULL;
    for (DWORD i = 0; iat[i].u1.Function; i++) {
      if (names && !IMAGE_SNAP_BY_ORDINAL(names[i].u1.Ordinal)) {
        IMAGE_IMPORT_BY_NAME *byName = (IMAGE_IMPORT_BY_NAME *)(base + names[i].u1.AddressOfData);
        if (strcmp((const char *)byName->Name, "GetTokenInformation") == 0) return (void **)&iat[i].u1.Function;
      }
      if (target && (void *)iat[i].u1.Function == target) return (void **)&iat[i].u1.Function;
    }
  }
  return NULL;
}

BOOL token_hook_ok(void) {
  return hookOk;
}

BOOL token_hook_install(void) {
  if (GetEnvironmentVariableW(L"RDSLEAK_FAKE_HOOK_DISABLE", NULL, 0) > 0) {
    /* lets a test check that a missing hook is loud */
    fake_log("hook FAILED disabled by RDSLEAK_FAKE_HOOK_DISABLE");
    return FALSE;
  }
  HMODULE advapi32 = LoadLibraryW(L"advapi32.dll");
  HMODULE kernelbase = GetModuleHandleW(L"kernelbase.dll");
  void *target = kernelbase ? (void *)GetProcAddress(kernelbase, "GetTokenInformation") : NULL;
  if (!advapi32) {
    fake_log("hook FAILED advapi32.dll not loaded");
    return FALSE;
  }
  void **slot = find_slot(advapi32, target);
  if (!slot) {
    fake_log("hook FAILED advapi32 has no import slot for GetTokenInformation (Wine changed how advapi32 imports it)");
    return FALSE;
  }
  DWORD old;
  if (!VirtualProtect(slot, sizeof(void *), PAGE_READWRITE, &old)) {
    fake_log("hook FAILED VirtualProtect error %lu", (unsigned long)GetLastError());
    return FALSE;
  }
  realGetTokenInformation = (GetTokenInformationFn)*slot;
  *slot = (void *)scripted_GetTokenInformation;
  VirtualProtect(slot, sizeof(void *), old, &old);

  /* Verify: a call through advapi32's export (what koffi binds) must reach the wrapper. */
  GetTokenInformationFn exported = (GetTokenInformationFn)(void *)GetProcAddress(advapi32, "GetTokenInformation");
  HANDLE token;
  TOKEN_STATISTICS stats;
  DWORD returned;
  LONG before = hookCalls;
  BOOL called = exported && OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token);
  if (called) {
    exported(token, TokenStatistics, &stats, sizeof stats, &returned);
    CloseHandle(token);
  }
  if (!called || hookCalls == before) {
    fake_log("hook FAILED advapi32!GetTokenInformation does not go through the patched slot");
    return FALSE;
  }
  hookOk = TRUE;
  fake_log("hook ok self-token=%08lx:%08lx", (unsigned long)stats.TokenId.HighPart, (unsigned long)stats.TokenId.LowPart);
  return TRUE;
}
