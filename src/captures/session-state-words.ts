import type { SessionState } from '../model/session-states.js';

/**
 * The state column of qwinsta and quser, in the languages of Windows seen on RDS farms. Words are
 * compared without case, accents and the abbreviation dot (`Abhör.` -> `abhor`, `Déco` -> `deco`).
 */
const WORDS: Readonly<Record<SessionState, readonly string[]>> = {
  active: ['active', 'aktiv', 'actif', 'activo', 'attivo', 'actief', 'ativo'],
  connected: ['conn', 'connected', 'verb', 'verbunden', 'connecte', 'conectado', 'connesso', 'verbonden'],
  connect_query: ['connq', 'verba', 'verbabfr'],
  shadow: ['shadow', 'spiegeln', 'schatten', 'ombre', 'sombra', 'ombra', 'schaduw'],
  disconnected: ['disc', 'getr', 'getrennt', 'deco', 'deconnecte', 'desc', 'desconectado', 'disconn', 'niet verb', 'verbr'],
  idle: ['idle', 'leerlauf', 'inaktiv', 'inactif', 'inactivo', 'inattivo', 'inactief'],
  listen: ['listen', 'abhor', 'abhoren', 'ecouter', 'ecoute', 'escuchar', 'ascolto', 'luisteren'],
  reset: ['reset', 'zurucks', 'zurucksetzen', 'reinit', 'restablecer', 'restabl'],
  down: ['down', 'ausgef', 'arret', 'caido', 'inattivo giu'],
  init: ['init', 'initialisieren', 'initialisation', 'inicializar'],
};

const BY_WORD: ReadonlyMap<string, SessionState> = new Map(
  (Object.entries(WORDS) as [SessionState, readonly string[]][]).flatMap(([state, words]) => words.map((w): [string, SessionState] => [w, state])),
);

export function normaliseWord(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\.+$/, '').trim();
}

export function sessionStateFromWord(word: string): SessionState | null {
  return BY_WORD.get(normaliseWord(word)) ?? null;
}
