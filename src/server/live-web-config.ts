import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { RdsLeakError, errorMessage } from '../errors.js';
import { loadWebConfigFile, PLAIN_HTTP, type LoadedWebConfig, type WebConfig } from './web-config.js';

/** Editors and config tools write in several steps (truncate, write, rename); reload once they are done. */
const RELOAD_DEBOUNCE_MS = 250;

export type ReloadOutcome = 'reloaded' | 'unchanged' | 'rejected' | 'no-file';

/**
 * The web config in force, re-read when its file (or a certificate, key or CA file it names) changes and
 * on demand (SIGHUP). A file that fails to load is logged in one line and the previous config stays in
 * force; a good one applies to the next request. Switching TLS on or off, or changing client_auth_type,
 * changes how connections are accepted and needs a restart: such a file is refused like a bad one.
 */
export class LiveWebConfig {
  private loaded: LoadedWebConfig | null;
  private readonly listeners: ((config: WebConfig) => void)[] = [];
  private watchers = new Map<string, FSWatcher>();
  private debounce: NodeJS.Timeout | null = null;
  /** The last refusal logged for a file change, so that unrelated changes in the folder do not repeat it. */
  private lastRefusal: string | null = null;

  private constructor(
    readonly path: string | null,
    private readonly logger: Logger,
  ) {
    // Throws UsageError at start: a bad file stops the agent.
    this.loaded = path === null ? null : loadWebConfigFile(path);
  }

  /** Loads the file (or plain HTTP without one); a bad file throws the UsageError that stops the agent. */
  static load(path: string | null, logger: Logger): LiveWebConfig {
    return new LiveWebConfig(path, logger);
  }

  get current(): WebConfig {
    return this.loaded?.config ?? PLAIN_HTTP;
  }

  /** Called with each newly accepted config (the HTTPS server renews its certificates from it). */
  onChange(listener: (config: WebConfig) => void): void {
    this.listeners.push(listener);
  }

  /** Re-reads the file now. `trigger` names the cause in the log (SIGHUP, file change). */
  reload(trigger: string): ReloadOutcome {
    if (this.path === null || this.loaded === null) {
      this.logger.info({ trigger }, 'no --web.config.file given: nothing to reload');
      return 'no-file';
    }
    const fromWatch = trigger === 'file change';
    let next: LoadedWebConfig;
    try {
      next = loadWebConfigFile(this.path);
      const problem = restartOnlyChange(this.loaded.config, next.config);
      if (problem) throw new RdsLeakError('E_CONFIG', `${this.path}: ${problem} needs a restart of the agent`);
    } catch (error) {
      const message = errorMessage(error);
      if (!fromWatch || message !== this.lastRefusal) {
        this.logger.error({ trigger, file: this.path }, `web config not reloaded, the previous one stays in force: ${message}`);
      }
      this.lastRefusal = message;
      return 'rejected';
    }
    this.lastRefusal = null;
    if (next.fingerprint === this.loaded.fingerprint) {
      if (!fromWatch) this.logger.info({ trigger, file: this.path }, 'web config unchanged');
      return 'unchanged';
    }
    this.loaded = next;
    for (const listener of this.listeners) listener(next.config);
    this.logger.info({ trigger, file: this.path, tls: next.config.tls !== null, basic_auth_users: next.config.basicAuthUsers.size }, 'web config reloaded');
    if (this.watchers.size > 0) this.watch();
    return 'reloaded';
  }

  /**
   * Watches the folders of the file and of the files it names. Folders, not files: an editor or a
   * configuration tool that replaces the file by a rename leaves a watch on the file looking at the old
   * one. Any change in those folders leads to a reload; the fingerprint makes unrelated ones no-ops.
   */
  watch(): void {
    if (this.loaded === null) return;
    const folders = new Set(this.loaded.files.map((f) => dirname(f)));
    for (const [folder, watcher] of this.watchers) {
      if (!folders.has(folder)) {
        watcher.close();
        this.watchers.delete(folder);
      }
    }
    for (const folder of folders) {
      if (this.watchers.has(folder)) continue;
      try {
        // Not persistent: watching never keeps the process alive by itself.
        const watcher = watch(folder, { persistent: false }, () => this.scheduleReload());
        watcher.on('error', (error) => {
          this.logger.warn({ folder, err: errorMessage(error) }, 'cannot watch the web config folder any more; SIGHUP still reloads');
          watcher.close();
          this.watchers.delete(folder);
        });
        this.watchers.set(folder, watcher);
      } catch (error) {
        this.logger.warn({ folder, err: errorMessage(error) }, 'cannot watch the web config folder; reload with SIGHUP');
      }
    }
  }

  close(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private scheduleReload(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.reload('file change');
    }, RELOAD_DEBOUNCE_MS);
    this.debounce.unref();
  }
}

/** What a reload cannot change on a listening server, or null. */
function restartOnlyChange(before: WebConfig, after: WebConfig): string | null {
  if ((before.tls === null) !== (after.tls === null)) return `switching TLS ${after.tls ? 'on' : 'off'} (tls_server_config)`;
  if (before.clientAuth !== after.clientAuth) return `changing tls_server_config.client_auth_type from ${before.clientAuth} to ${after.clientAuth}`;
  return null;
}
