/*
 * Prints, as JSON on stdout (or to the file named by argv[1]), the size and offset of every structure and
 * field the agent declares (src/sources/windows/layouts.ts and native-types.ts), as mingw-w64's headers
 * (plus the hand declarations of windows-structs.h) lay them out, and the constants the agent uses.
 * test/wine/layouts.test.ts runs it under Wine and compares it field by field with the agent's tables.
 */
#include <stddef.h>
#include <stdio.h>
#include "windows-structs.h"
#include <winsvc.h> /* not in windows.h under WIN32_LEAN_AND_MEAN */

static FILE *out;
static int firstStruct = 1, firstField;

static void begin(const char *name, size_t size) {
  fprintf(out, "%s\n  \"%s\": {\"size\": %zu", firstStruct ? "" : ",", name, size);
  firstStruct = 0;
  firstField = 0;
}
static void field(const char *name, size_t offset) {
  fprintf(out, ", \"%s\": %zu", name, offset);
}
static void end(void) {
  fprintf(out, "}");
}
#define F(type, name) field(#name, offsetof(type, name))

/* mingw names the fields the agent reads alike; the rest are Reserved there: they must agree where named. */
_Static_assert(offsetof(SYSTEM_PROCESS_INFORMATION, CreateTime) == offsetof(RDS_SYSTEM_PROCESS_INFORMATION, CreateTime), "CreateTime");
_Static_assert(offsetof(SYSTEM_PROCESS_INFORMATION, ImageName) == offsetof(RDS_SYSTEM_PROCESS_INFORMATION, ImageName), "ImageName");
_Static_assert(offsetof(SYSTEM_PROCESS_INFORMATION, UniqueProcessId) == offsetof(RDS_SYSTEM_PROCESS_INFORMATION, UniqueProcessId), "UniqueProcessId");
_Static_assert(offsetof(SYSTEM_PROCESS_INFORMATION, InheritedFromUniqueProcessId) == offsetof(RDS_SYSTEM_PROCESS_INFORMATION, InheritedFromUniqueProcessId), "InheritedFromUniqueProcessId");
_Static_assert(offsetof(SYSTEM_PROCESS_INFORMATION, HandleCount) == offsetof(RDS_SYSTEM_PROCESS_INFORMATION, HandleCount), "HandleCount");
_Static_assert(offsetof(SYSTEM_PROCESS_INFORMATION, SessionId) == offsetof(RDS_SYSTEM_PROCESS_INFORMATION, SessionId), "SessionId");

/* The services collector's entry, checked at compile time too (no Wine needed to catch a drift here). */
_Static_assert(sizeof(ENUM_SERVICE_STATUS_PROCESSW) == 56, "ENUM_SERVICE_STATUS_PROCESSW size");
_Static_assert(offsetof(ENUM_SERVICE_STATUS_PROCESSW, ServiceStatusProcess.dwProcessId) == 44, "ENUM_SERVICE_STATUS_PROCESSW dwProcessId");

int wmain(int argc, wchar_t **argv) {
  out = argc > 1 ? _wfopen(argv[1], L"w") : stdout;
  if (!out) return 1;
  fprintf(out, "{\"structs\": {");

  begin("LUID", sizeof(LUID)); F(LUID, LowPart); F(LUID, HighPart); end();

  begin("UNICODE_STRING", sizeof(LSA_UNICODE_STRING));
  F(LSA_UNICODE_STRING, Length); F(LSA_UNICODE_STRING, MaximumLength); F(LSA_UNICODE_STRING, Buffer); end();

  begin("HANDLE_TABLE", offsetof(RDS_SYSTEM_HANDLE_INFORMATION_EX, Handles));
  field("headerSize", offsetof(RDS_SYSTEM_HANDLE_INFORMATION_EX, Handles));
  F(RDS_SYSTEM_HANDLE_INFORMATION_EX, NumberOfHandles); F(RDS_SYSTEM_HANDLE_INFORMATION_EX, Reserved); end();
  begin("HANDLE_TABLE_HEADER", offsetof(RDS_SYSTEM_HANDLE_INFORMATION_EX, Handles));
  F(RDS_SYSTEM_HANDLE_INFORMATION_EX, NumberOfHandles); F(RDS_SYSTEM_HANDLE_INFORMATION_EX, Reserved); end();

#define E RDS_SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX
  begin("HANDLE_ENTRY", sizeof(E));
  F(E, Object); F(E, UniqueProcessId); F(E, HandleValue); F(E, GrantedAccess); F(E, CreatorBackTraceIndex);
  F(E, ObjectTypeIndex); F(E, HandleAttributes); F(E, Reserved); end();
#undef E

#define P RDS_SYSTEM_PROCESS_INFORMATION
  begin("PROCESS_INFO", sizeof(P));
  field("threadInfoSize", sizeof(SYSTEM_THREAD_INFORMATION));
  F(P, NextEntryOffset); F(P, NumberOfThreads); F(P, WorkingSetPrivateSize); F(P, HardFaultCount);
  F(P, NumberOfThreadsHighWatermark); F(P, CycleTime); F(P, CreateTime); F(P, UserTime); F(P, KernelTime);
  F(P, ImageName); F(P, BasePriority); F(P, UniqueProcessId); F(P, InheritedFromUniqueProcessId);
  F(P, HandleCount); F(P, SessionId); F(P, UniqueProcessKey); F(P, PeakVirtualSize); F(P, VirtualSize);
  F(P, PageFaultCount); F(P, PeakWorkingSetSize); F(P, WorkingSetSize); F(P, QuotaPeakPagedPoolUsage);
  F(P, QuotaPagedPoolUsage); F(P, QuotaPeakNonPagedPoolUsage); F(P, QuotaNonPagedPoolUsage);
  F(P, PagefileUsage); F(P, PeakPagefileUsage); F(P, PrivatePageCount); F(P, ReadOperationCount);
  F(P, WriteOperationCount); F(P, OtherOperationCount); F(P, ReadTransferCount); F(P, WriteTransferCount);
  F(P, OtherTransferCount); end();
#undef P

  begin("OBJECT_TYPES", sizeof(RDS_OBJECT_TYPES_INFORMATION));
  field("firstEntry", offsetof(RDS_OBJECT_TYPES_INFORMATION, FirstType));
  F(RDS_OBJECT_TYPES_INFORMATION, NumberOfTypes); end();

#define O RDS_OBJECT_TYPE_INFORMATION
  begin("OBJECT_TYPE_INFO", sizeof(O));
  F(O, TypeName); F(O, TotalNumberOfObjects); F(O, TotalNumberOfHandles); F(O, TotalPagedPoolUsage);
  F(O, TotalNonPagedPoolUsage); F(O, TotalNamePoolUsage); F(O, TotalHandleTableUsage);
  F(O, HighWaterNumberOfObjects); F(O, HighWaterNumberOfHandles); F(O, HighWaterPagedPoolUsage);
  F(O, HighWaterNonPagedPoolUsage); F(O, HighWaterNamePoolUsage); F(O, HighWaterHandleTableUsage);
  F(O, InvalidAttributes); F(O, GenericMapping); F(O, ValidAccessMask); F(O, SecurityRequired);
  F(O, MaintainHandleCount); F(O, TypeIndex); F(O, ReservedByte); F(O, PoolType);
  F(O, DefaultPagedPoolCharge); F(O, DefaultNonPagedPoolCharge); end();
#undef O

#define L SECURITY_LOGON_SESSION_DATA
  begin("LOGON_SESSION_DATA", sizeof(L));
  F(L, Size); F(L, LogonId); F(L, UserName); F(L, LogonDomain); F(L, AuthenticationPackage); F(L, LogonType);
  F(L, Session); F(L, Sid); F(L, LogonTime); F(L, LogonServer); F(L, DnsDomainName); F(L, Upn); F(L, UserFlags);
  F(L, LastLogonInfo); F(L, LogonScript); F(L, ProfilePath); F(L, HomeDirectory); F(L, HomeDirectoryDrive);
  F(L, LogoffTime); F(L, KickOffTime); F(L, PasswordLastSet); F(L, PasswordCanChange); F(L, PasswordMustChange); end();
#undef L
  begin("LSA_LAST_INTER_LOGON_INFO", sizeof(LSA_LAST_INTER_LOGON_INFO));
  F(LSA_LAST_INTER_LOGON_INFO, LastSuccessfulLogon); F(LSA_LAST_INTER_LOGON_INFO, LastFailedLogon);
  F(LSA_LAST_INTER_LOGON_INFO, FailedAttemptCountSinceLastSuccessfulLogon); end();

  begin("WTS_SESSION_INFO", sizeof(WTS_SESSION_INFOW));
  F(WTS_SESSION_INFOW, SessionId); F(WTS_SESSION_INFOW, pWinStationName); F(WTS_SESSION_INFOW, State); end();

#define W WTS_SESSION_INFO_1W
  begin("WTS_SESSION_INFO_1", sizeof(W));
  F(W, ExecEnvId); F(W, State); F(W, SessionId); F(W, pSessionName); F(W, pHostName); F(W, pUserName);
  F(W, pDomainName); F(W, pFarmName); end();
#undef W

#define T TOKEN_STATISTICS
  begin("TOKEN_STATISTICS", sizeof(T));
  F(T, TokenId); F(T, AuthenticationId); F(T, ExpirationTime); F(T, TokenType); F(T, ImpersonationLevel);
  F(T, DynamicCharged); F(T, DynamicAvailable); F(T, GroupCount); F(T, PrivilegeCount); F(T, ModifiedId); end();
#undef T

  begin("TOKEN_PRIVILEGES_1", sizeof(TOKEN_PRIVILEGES));
  field("PrivilegeCount", offsetof(TOKEN_PRIVILEGES, PrivilegeCount));
  field("Luid", offsetof(TOKEN_PRIVILEGES, Privileges[0].Luid));
  field("Attributes", offsetof(TOKEN_PRIVILEGES, Privileges[0].Attributes)); end();

  begin("SERVICE_STATUS_PROCESS", sizeof(SERVICE_STATUS_PROCESS));
  F(SERVICE_STATUS_PROCESS, dwServiceType); F(SERVICE_STATUS_PROCESS, dwCurrentState); F(SERVICE_STATUS_PROCESS, dwControlsAccepted);
  F(SERVICE_STATUS_PROCESS, dwWin32ExitCode); F(SERVICE_STATUS_PROCESS, dwServiceSpecificExitCode); F(SERVICE_STATUS_PROCESS, dwCheckPoint);
  F(SERVICE_STATUS_PROCESS, dwWaitHint); F(SERVICE_STATUS_PROCESS, dwProcessId); F(SERVICE_STATUS_PROCESS, dwServiceFlags); end();

#define S ENUM_SERVICE_STATUS_PROCESSW
  begin("ENUM_SERVICE_STATUS_PROCESS", sizeof(S));
  F(S, lpServiceName); F(S, lpDisplayName); F(S, ServiceStatusProcess);
  field("dwServiceType", offsetof(S, ServiceStatusProcess.dwServiceType));
  field("dwCurrentState", offsetof(S, ServiceStatusProcess.dwCurrentState));
  field("dwProcessId", offsetof(S, ServiceStatusProcess.dwProcessId));
  field("dwServiceFlags", offsetof(S, ServiceStatusProcess.dwServiceFlags)); end();
#undef S

  begin("GENERIC_MAPPING", sizeof(GENERIC_MAPPING));
  F(GENERIC_MAPPING, GenericRead); F(GENERIC_MAPPING, GenericWrite); F(GENERIC_MAPPING, GenericExecute); F(GENERIC_MAPPING, GenericAll); end();

  fprintf(out, "\n}, \"constants\": {\n");
  int firstConstant = 1;
#define C(name, value) (fprintf(out, "%s  \"%s\": %lu", firstConstant ? "" : ",\n", name, (unsigned long)(DWORD)(value)), firstConstant = 0)
  C("POINTER_SIZE", sizeof(void *));
  C("STATUS_SUCCESS", STATUS_SUCCESS);
  C("STATUS_INFO_LENGTH_MISMATCH", STATUS_INFO_LENGTH_MISMATCH);
  C("STATUS_BUFFER_TOO_SMALL", STATUS_BUFFER_TOO_SMALL);
  C("STATUS_BUFFER_OVERFLOW", STATUS_BUFFER_OVERFLOW);
  C("STATUS_ACCESS_DENIED", STATUS_ACCESS_DENIED);
  C("STATUS_NO_SUCH_LOGON_SESSION", STATUS_NO_SUCH_LOGON_SESSION);
  C("SystemProcessInformation", SystemProcessInformation);
  C("SystemExtendedHandleInformation", RDS_SystemExtendedHandleInformation);
  C("ObjectTypesInformation", RDS_ObjectTypesInformation);
  C("TokenStatisticsClass", TokenStatistics);
  C("PROCESS_DUP_HANDLE", PROCESS_DUP_HANDLE);
  C("PROCESS_QUERY_LIMITED_INFORMATION", PROCESS_QUERY_LIMITED_INFORMATION);
  C("TOKEN_QUERY", TOKEN_QUERY);
  C("TOKEN_ADJUST_PRIVILEGES", TOKEN_ADJUST_PRIVILEGES);
  C("SE_PRIVILEGE_ENABLED", SE_PRIVILEGE_ENABLED);
  C("DUPLICATE_SAME_ACCESS", DUPLICATE_SAME_ACCESS);
  C("ERROR_SUCCESS", ERROR_SUCCESS);
  C("ERROR_ACCESS_DENIED", ERROR_ACCESS_DENIED);
  C("ERROR_INVALID_HANDLE", ERROR_INVALID_HANDLE);
  C("ERROR_INVALID_PARAMETER", ERROR_INVALID_PARAMETER);
  C("ERROR_NOT_ALL_ASSIGNED", ERROR_NOT_ALL_ASSIGNED);
  C("WTSTypeSessionInfoLevel1", WTSTypeSessionInfoLevel1);
  C("ERROR_INSUFFICIENT_BUFFER", ERROR_INSUFFICIENT_BUFFER);
  C("ERROR_MORE_DATA", ERROR_MORE_DATA);
  C("SC_MANAGER_ENUMERATE_SERVICE", SC_MANAGER_ENUMERATE_SERVICE);
  C("SC_ENUM_PROCESS_INFO", SC_ENUM_PROCESS_INFO);
  C("SERVICE_WIN32", SERVICE_WIN32);
  C("SERVICE_ACTIVE", SERVICE_ACTIVE);
  fprintf(out, "\n}}\n");
  if (out != stdout) fclose(out);
  return 0;
}
