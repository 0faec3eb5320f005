// Types of eslint-areas.js (plain JS, loaded by eslint.config.js), for the architecture test.
export function entryFilesOf(area: string): string[];
export const TEMPORARY_DEEP_IMPORTS: Readonly<Record<string, readonly string[]>>;
export function areaBoundaryZones(areas: readonly string[], extraAllowed?: readonly string[]): Array<{ target: string; from: string; except: string[]; message: string }>;
export function areaBoundaryConfigs(areas: readonly string[], exceptions?: Readonly<Record<string, readonly string[]>>): object[];
