// A card is data: one practical concept as a multiple-choice question. Shared by the terminal session and
// the browser page, so nothing here may import a Node module.

export type ModuleId = 1 | 2 | 3 | 4 | 5;

export interface Card {
  /** Stable forever: progress files key on it. `<module slug>/<concept>`, lowercase. */
  id: string;
  module: ModuleId;
  question: string;
  /** 3 to 5 options; exactly one is right: `options[answer]`. */
  options: string[];
  answer: number;
  /** Why the right one is right and why the tempting wrong ones are wrong. */
  explanation: string;
  /** weft's own docs page (`docs/<file>.md#anchor`) where weft implements it, else an upstream https URL. */
  link: string;
  /** A command to run against `weft demo` that shows the concept live. */
  tryIt?: string;
}

export interface ModuleInfo {
  id: ModuleId;
  slug: string;
  title: string;
}

export const MODULES: readonly ModuleInfo[] = [
  { id: 1, slug: 'mesh', title: 'What a mesh is' },
  { id: 2, slug: 'traffic', title: 'Traffic' },
  { id: 3, slug: 'security', title: 'Security' },
  { id: 4, slug: 'resilience', title: 'Resilience' },
  { id: 5, slug: 'observability', title: 'Observability' },
];
