/**
 * Processes the agent does not open for handle duplication unless told to
 * (`--windows.open-protected-processes`). Endpoint protection treats PROCESS_DUP_HANDLE on lsass as
 * credential theft (it is how tools such as mimikatz start), and the others are protected processes
 * (PPL) that refuse it anyway on current Windows: trying only produces alerts and access-denied noise.
 * Their token handles are still attributed when another handle to the same token object is visible, and
 * are otherwise counted as unresolved with reason `skipped` (docs/security.md).
 */
export const PROTECTED_IMAGE_NAMES: ReadonlySet<string> = new Set(
  [
    'lsass.exe', // Local Security Authority: holds every logon's tokens; credential-theft target
    'lsaiso.exe', // Credential Guard's isolated LSA
    'csrss.exe', // client/server runtime, PPL
    'smss.exe', // session manager, PPL
    'wininit.exe', // PPL
    'services.exe', // service control manager, PPL
    'msmpeng.exe', // Microsoft Defender engine, PPL (anti-malware)
    'nissrv.exe', // Defender network inspection, PPL
    'mssense.exe', // Defender for Endpoint sensor, PPL
    'sgrmbroker.exe', // System Guard runtime monitor, PPL
  ].map((n) => n.toLowerCase()),
);

export function isProtectedImage(imageName: string | undefined): boolean {
  return imageName !== undefined && PROTECTED_IMAGE_NAMES.has(imageName.toLowerCase());
}
