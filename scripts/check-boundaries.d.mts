// Types of scripts/check-boundaries.mjs, for the tests that import it.
export interface Area {
  readonly area: string;
  readonly may: readonly string[];
  readonly types?: readonly string[];
}
export const AREAS: readonly Area[];
export const CHECKED: readonly string[];
export function areaOf(path: string): string | undefined;
export function importsOf(text: string): { spec: string; typeOnly: boolean; line: number }[];
export function resolveSpecifier(from: string, spec: string): string | undefined;
export function checkImports(files: readonly { path: string; text: string }[]): string[];
export function sourceFiles(root: string): { path: string; text: string }[];
