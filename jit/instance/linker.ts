// Cross-module linking by name, as the spec scripts' `register` command and embedders need:
// registered instances' exports become importable under a module name.
import type { Instance, ImportObject } from './loader.js';

export class Linker {
  private modules: ImportObject = Object.create(null) as ImportObject;

  define(name: string, exports: Record<string, unknown>): void { this.modules[name] = exports; }
  register(name: string, instance: Instance): void { this.define(name, instance.exports); }
  get imports(): ImportObject { return this.modules; }
}
