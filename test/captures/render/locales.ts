import type { SessionState } from '../../../src/model/session-states.js';

export const LOCALES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES'] as const;
export type Locale = (typeof LOCALES)[number];

/** Dates as each locale prints them in console tools. */
export function formatLogonTime(date: Date, locale: Locale): string {
  const d = date.getUTCDate();
  const m = date.getUTCMonth() + 1;
  const y = date.getUTCFullYear();
  const hh = date.getUTCHours();
  const mm = String(date.getUTCMinutes()).padStart(2, '0');
  const ss = String(date.getUTCSeconds()).padStart(2, '0');
  const two = (n: number) => String(n).padStart(2, '0');
  switch (locale) {
    case 'en-US':
      return `${m}/${d}/${y} ${hh % 12 === 0 ? 12 : hh % 12}:${mm}:${ss} ${hh < 12 ? 'AM' : 'PM'}`;
    case 'en-GB':
    case 'fr-FR':
      return `${two(d)}/${two(m)}/${y} ${two(hh)}:${mm}:${ss}`;
    case 'de-DE':
      return `${two(d)}.${two(m)}.${y} ${two(hh)}:${mm}:${ss}`;
    case 'es-ES':
      return `${d}/${m}/${y} ${hh}:${mm}:${ss}`;
  }
}

/** qwinsta / quser state column words per language (en-GB prints the English ones). */
export const STATE_WORDS: Readonly<Record<Locale, Readonly<Record<SessionState, string>>>> = {
  'en-US': { active: 'Active', connected: 'Conn', connect_query: 'ConnQ', shadow: 'Shadow', disconnected: 'Disc', idle: 'Idle', listen: 'Listen', reset: 'Reset', down: 'Down', init: 'Init' },
  'en-GB': { active: 'Active', connected: 'Conn', connect_query: 'ConnQ', shadow: 'Shadow', disconnected: 'Disc', idle: 'Idle', listen: 'Listen', reset: 'Reset', down: 'Down', init: 'Init' },
  'de-DE': { active: 'Aktiv', connected: 'Verb.', connect_query: 'VerbA.', shadow: 'Spiegeln', disconnected: 'Getr.', idle: 'Leerlauf', listen: 'Abhör.', reset: 'Zurücks.', down: 'Ausgef.', init: 'Init' },
  'fr-FR': { active: 'Actif', connected: 'Conn', connect_query: 'ConnQ', shadow: 'Ombre', disconnected: 'Déco', idle: 'Inactif', listen: 'Écouter', reset: 'Réinit', down: 'Arrêt', init: 'Init' },
  'es-ES': { active: 'Activo', connected: 'Conn', connect_query: 'ConnQ', shadow: 'Sombra', disconnected: 'Desc', idle: 'Inactivo', listen: 'Escuchar', reset: 'Restabl', down: 'Caído', init: 'Init' },
};

/** Header labels: qwinsta [session, user, ID, state, type, device]; quser [user, session, ID, state, idle, logon]. */
export const QWINSTA_HEADERS: Readonly<Record<Locale, readonly string[]>> = {
  'en-US': ['SESSIONNAME', 'USERNAME', 'ID', 'STATE', 'TYPE', 'DEVICE'],
  'en-GB': ['SESSIONNAME', 'USERNAME', 'ID', 'STATE', 'TYPE', 'DEVICE'],
  'de-DE': ['SITZUNGSNAME', 'BENUTZERNAME', 'ID', 'STATUS', 'TYP', 'GERÄT'],
  'fr-FR': ['SESSION', 'UTILISATEUR', 'ID', 'ÉTAT', 'TYPE', 'PÉRIPHÉRIQUE'],
  'es-ES': ['NOMBRE DE SESIÓN', 'NOMBRE DE USUARIO', 'ID', 'ESTADO', 'TIPO', 'DISPOSITIVO'],
};

export const QUSER_HEADERS: Readonly<Record<Locale, readonly string[]>> = {
  'en-US': ['USERNAME', 'SESSIONNAME', 'ID', 'STATE', 'IDLE TIME', 'LOGON TIME'],
  'en-GB': ['USERNAME', 'SESSIONNAME', 'ID', 'STATE', 'IDLE TIME', 'LOGON TIME'],
  'de-DE': ['BENUTZERNAME', 'SITZUNGSNAME', 'ID', 'STATUS', 'LEERLAUF', 'ANMELDEZEIT'],
  'fr-FR': ['UTILISATEUR', 'SESSION', 'ID', 'ÉTAT', 'TEMPS INACT', 'TEMPS SESSION'],
  'es-ES': ['NOMBRE USUARIO', 'NOMBRE SESIÓN', 'ID', 'ESTADO', 'TIEMPO IN.', 'TIEMPO SESIÓN'],
};
