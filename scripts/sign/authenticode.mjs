#!/usr/bin/env node
/**
 * Authenticode signing with osslsigncode (Debian package `osslsigncode`), for build:exe and build:msi.
 * Signs only when RDSLEAK_SIGN_CERT and RDSLEAK_SIGN_KEY are both set:
 *   RDSLEAK_SIGN_CERT       certificate chain, PEM (or a PKCS#12 .pfx/.p12 file: then RDSLEAK_SIGN_KEY is
 *                           its password file, or "-" for none)
 *   RDSLEAK_SIGN_KEY        private key, PEM (unencrypted or with RDSLEAK_SIGN_KEY_PASSWORD)
 *   RDSLEAK_SIGN_TIMESTAMP_URL  optional RFC 3161 time-stamping server (-ts), so the signature outlives the certificate
 * As a command: node scripts/sign/authenticode.mjs FILE... signs each file in place (same variables).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The signing configuration from the environment, or null when signing is off. */
export function signingConfig(env = process.env) {
  const cert = env.RDSLEAK_SIGN_CERT;
  const key = env.RDSLEAK_SIGN_KEY;
  if (!cert && !key) return null;
  if (!cert || !key) throw new Error('set both RDSLEAK_SIGN_CERT and RDSLEAK_SIGN_KEY to sign, or neither');
  for (const [name, file] of [['RDSLEAK_SIGN_CERT', cert], ['RDSLEAK_SIGN_KEY', key]]) {
    if (!(name === 'RDSLEAK_SIGN_KEY' && key === '-') && !existsSync(file)) throw new Error(`${name}: ${file}: no such file`);
  }
  return { cert, key, keyPassword: env.RDSLEAK_SIGN_KEY_PASSWORD, timestampUrl: env.RDSLEAK_SIGN_TIMESTAMP_URL };
}

/** osslsigncode's arguments for one file (PE or MSI: it tells them apart itself). */
export function signArguments(config, input, output, description = 'rds-leak-exporter') {
  const args = ['sign', '-h', 'sha256', '-n', description];
  if (/\.(pfx|p12)$/i.test(config.cert)) {
    args.push('-pkcs12', config.cert);
    if (config.key !== '-') args.push('-readpass', config.key);
  } else {
    args.push('-certs', config.cert, '-key', config.key);
    if (config.keyPassword) args.push('-pass', config.keyPassword);
  }
  if (config.timestampUrl) args.push('-ts', config.timestampUrl);
  args.push('-in', input, '-out', output);
  return args;
}

/** Signs `file` in place when signing is configured; returns whether it did. Throws with osslsigncode's message. */
export function signIfConfigured(file, env = process.env) {
  const config = signingConfig(env);
  if (!config) return false;
  const output = `${file}.signed`;
  rmSync(output, { force: true });
  const r = spawnSync('osslsigncode', signArguments(config, file, output), { encoding: 'utf8' });
  if (r.error) throw new Error(`osslsigncode: ${r.error.message} (Debian: apt-get install osslsigncode)`);
  if (r.status !== 0) {
    rmSync(output, { force: true });
    throw new Error(`osslsigncode could not sign ${basename(file)} (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  }
  renameSync(output, file);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = process.argv.slice(2);
  if (files.length === 0 || !signingConfig()) {
    process.stderr.write('usage: RDSLEAK_SIGN_CERT=cert.pem RDSLEAK_SIGN_KEY=key.pem node scripts/sign/authenticode.mjs FILE...\n');
    process.exit(2);
  }
  for (const file of files) {
    if (!existsSync(file)) throw new Error(`${file}: no such file`);
    signIfConfigured(file);
    process.stderr.write(`[sign] signed ${file}\n`);
  }
}
