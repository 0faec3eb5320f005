import { randomBytes } from 'node:crypto';

/** A new symmetric key as IoT Hub issues them: 32 random bytes, base64 (44 characters). */
export const generateKey = (): string => randomBytes(32).toString('base64');
