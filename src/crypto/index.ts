/**
 * `extension-storage/fernet`: Fernet tokens identical to Python `cryptography`'s, on node:crypto or
 * pure JS. Keys and tokens decode strictly (canonical padded url-safe base64 only).
 * @example
 * import { Fernet, MultiFernet, deriveFernetKey, InvalidTokenError } from 'extension-storage/fernet';
 * const fernet = new Fernet(deriveFernetKey(process.env.APP_SECRET!));
 * const token = fernet.encrypt('secret value');
 * @module
 */
export type { BackendChoice, BackendName } from './backend.js';
export { InvalidTokenError } from './errors.js';
export {
  type DecryptOptions,
  type EncryptOptions,
  Fernet,
  type FernetKey,
  type FernetOptions,
  type FernetToken,
} from './fernet.js';
export { deriveFernetKey } from './keys.js';
export { MultiFernet } from './multi-fernet.js';
