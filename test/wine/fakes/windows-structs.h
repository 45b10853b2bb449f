/*
 * Windows structures the agent reads that mingw-w64's headers lack (declared by hand, after System
 * Informer's phnt headers and the Windows SDK). Everything else comes from mingw's own headers.
 */
#ifndef RDSLEAK_WINDOWS_STRUCTS_H
#define RDSLEAK_WINDOWS_STRUCTS_H

#define WIN32_LEAN_AND_MEAN
#define WIN32_NO_STATUS /* ntstatus.h, not winnt.h, defines the STATUS_ codes */
#include <windows.h>
#undef WIN32_NO_STATUS
#include <ntstatus.h>
#include <ntsecapi.h>
#include <winternl.h>
#include <wtsapi32.h>

/* wtsapi32.h of the Windows SDK; missing in mingw-w64 (10 and 12). */
typedef enum _WTS_TYPE_CLASS { WTSTypeProcessInfoLevel0, WTSTypeProcessInfoLevel1, WTSTypeSessionInfoLevel1 } WTS_TYPE_CLASS;

typedef struct _WTS_SESSION_INFO_1W {
  DWORD ExecEnvId;
  WTS_CONNECTSTATE_CLASS State;
  DWORD SessionId;
  LPWSTR pSessionName;
  LPWSTR pHostName;
  LPWSTR pUserName;
  LPWSTR pDomainName;
  LPWSTR pFarmName;
} WTS_SESSION_INFO_1W, *PWTS_SESSION_INFO_1W;

/* phnt ntexapi.h: NtQuerySystemInformation(SystemExtendedHandleInformation). */
#define RDS_SystemExtendedHandleInformation 64
typedef struct _RDS_SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX {
  PVOID Object;
  ULONG_PTR UniqueProcessId;
  ULONG_PTR HandleValue;
  ULONG GrantedAccess;
  USHORT CreatorBackTraceIndex;
  USHORT ObjectTypeIndex;
  ULONG HandleAttributes;
  ULONG Reserved;
} RDS_SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX;

typedef struct _RDS_SYSTEM_HANDLE_INFORMATION_EX {
  ULONG_PTR NumberOfHandles;
  ULONG_PTR Reserved;
  RDS_SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX Handles[1];
} RDS_SYSTEM_HANDLE_INFORMATION_EX;

/* phnt ntexapi.h: the full SYSTEM_PROCESS_INFORMATION (mingw's names most fields Reserved). */
typedef struct _RDS_SYSTEM_PROCESS_INFORMATION {
  ULONG NextEntryOffset;
  ULONG NumberOfThreads;
  LARGE_INTEGER WorkingSetPrivateSize;
  ULONG HardFaultCount;
  ULONG NumberOfThreadsHighWatermark;
  ULONGLONG CycleTime;
  LARGE_INTEGER CreateTime;
  LARGE_INTEGER UserTime;
  LARGE_INTEGER KernelTime;
  UNICODE_STRING ImageName;
  LONG BasePriority;
  HANDLE UniqueProcessId;
  HANDLE InheritedFromUniqueProcessId;
  ULONG HandleCount;
  ULONG SessionId;
  ULONG_PTR UniqueProcessKey;
  SIZE_T PeakVirtualSize;
  SIZE_T VirtualSize;
  ULONG PageFaultCount;
  SIZE_T PeakWorkingSetSize;
  SIZE_T WorkingSetSize;
  SIZE_T QuotaPeakPagedPoolUsage;
  SIZE_T QuotaPagedPoolUsage;
  SIZE_T QuotaPeakNonPagedPoolUsage;
  SIZE_T QuotaNonPagedPoolUsage;
  SIZE_T PagefileUsage;
  SIZE_T PeakPagefileUsage;
  SIZE_T PrivatePageCount;
  LARGE_INTEGER ReadOperationCount;
  LARGE_INTEGER WriteOperationCount;
  LARGE_INTEGER OtherOperationCount;
  LARGE_INTEGER ReadTransferCount;
  LARGE_INTEGER WriteTransferCount;
  LARGE_INTEGER OtherTransferCount;
} RDS_SYSTEM_PROCESS_INFORMATION;

/* phnt ntobapi.h: NtQueryObject(ObjectTypesInformation). */
#define RDS_ObjectTypesInformation 3
typedef struct _RDS_OBJECT_TYPE_INFORMATION {
  UNICODE_STRING TypeName;
  ULONG TotalNumberOfObjects;
  ULONG TotalNumberOfHandles;
  ULONG TotalPagedPoolUsage;
  ULONG TotalNonPagedPoolUsage;
  ULONG TotalNamePoolUsage;
  ULONG TotalHandleTableUsage;
  ULONG HighWaterNumberOfObjects;
  ULONG HighWaterNumberOfHandles;
  ULONG HighWaterPagedPoolUsage;
  ULONG HighWaterNonPagedPoolUsage;
  ULONG HighWaterNamePoolUsage;
  ULONG HighWaterHandleTableUsage;
  ULONG InvalidAttributes;
  GENERIC_MAPPING GenericMapping;
  ULONG ValidAccessMask;
  BOOLEAN SecurityRequired;
  BOOLEAN MaintainHandleCount;
  UCHAR TypeIndex;
  CHAR ReservedByte;
  ULONG PoolType;
  ULONG DefaultPagedPoolCharge;
  ULONG DefaultNonPagedPoolCharge;
} RDS_OBJECT_TYPE_INFORMATION;

typedef struct _RDS_OBJECT_TYPES_INFORMATION {
  ULONG NumberOfTypes;
  RDS_OBJECT_TYPE_INFORMATION FirstType; /* aligned like the entries that follow */
} RDS_OBJECT_TYPES_INFORMATION;

#endif
