// Writes ffi/superscalar-programs.h: the eight SuperscalarHash programs that librandomx derives from k2pow's RandomX
// key, as C macros that ffi/dataset-vectors.c compiles into straight-line vector code. The key never changes, so the
// programs never do either; the header is generated once and committed, and test/dataset-vectors.test.ts checks that
// it still equals what the librandomx in use derives.
//
//   bun ffi/superscalar-programs.ts          rewrites the header
//   bun ffi/superscalar-programs.ts --check  exits 1 when the committed header differs
//
// librandomx has no call that hands out the programs, so they are read from its cache object, whose layout in
// Debian's 1.1.10 is: five pointers (memory, dealloc, jit, initialize, datasetInit), then eight programs of 512
// 8-byte instructions each followed by their size, address register and statistics (4200 bytes in all), then the
// std::vector of reciprocals that IMUL_RCP instructions index. Everything read is range-checked here, and what the
// compiled code computes is compared item for item with librandomx's own build at run time and in the tests.
import { dlopen, FFIType, read, toArrayBuffer } from "bun:ffi";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const KEY = "spacemesh-randomx-cache-key";
const PROGRAMS = 8;
const PROGRAM_OFFSET = 5 * 8;
const PROGRAM_BYTES = 4200;
const MAX_INSTRUCTIONS = 512;
const HEADER = join(import.meta.dir, "superscalar-programs.h");

interface Instruction {
  opcode: number;
  dst: number;
  src: number;
  mod: number;
  imm32: number;
}

interface Program {
  instructions: Instruction[];
  addressRegister: number;
}

/** The programs and reciprocals librandomx at `library` derives from the key. */
export function readPrograms(library: string): { programs: Program[]; reciprocals: bigint[] } {
  const lib = dlopen(library, {
    randomx_alloc_cache: { args: [FFIType.i32], returns: FFIType.ptr },
    randomx_init_cache: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.void },
    randomx_release_cache: { args: [FFIType.ptr], returns: FFIType.void },
  });
  try {
    const cache = lib.symbols.randomx_alloc_cache(0);
    if (cache === null) throw new Error("librandomx could not allocate a cache");
    try {
      const key = new TextEncoder().encode(KEY);
      lib.symbols.randomx_init_cache(cache, key, key.length);
      const programs: Program[] = [];
      for (let p = 0; p < PROGRAMS; p++) {
        const base = PROGRAM_OFFSET + p * PROGRAM_BYTES;
        const size = read.u32(cache, base + MAX_INSTRUCTIONS * 8);
        const addressRegister = read.i32(cache, base + MAX_INSTRUCTIONS * 8 + 4);
        if (size < 1 || size > MAX_INSTRUCTIONS || addressRegister < 0 || addressRegister > 7) {
          throw new Error(`program ${p}: size ${size}, address register ${addressRegister}: not librandomx 1.1.10's layout`);
        }
        const bytes = new Uint8Array(toArrayBuffer(cache, base, size * 8).slice(0));
        const view = new DataView(bytes.buffer);
        const instructions: Instruction[] = [];
        for (let i = 0; i < size; i++) {
          const ins = { opcode: bytes[i * 8]!, dst: bytes[i * 8 + 1]!, src: bytes[i * 8 + 2]!, mod: bytes[i * 8 + 3]!, imm32: view.getUint32(i * 8 + 4, true) };
          if (ins.opcode > 13 || ins.dst > 7 || ins.src > 7) throw new Error(`program ${p}, instruction ${i}: ${JSON.stringify(ins)} is not SuperscalarHash`);
          instructions.push(ins);
        }
        programs.push({ instructions, addressRegister });
      }
      const vector = PROGRAM_OFFSET + PROGRAMS * PROGRAM_BYTES;
      const begin = read.ptr(cache, vector);
      const count = (read.ptr(cache, vector + 8) - begin) / 8;
      if (!Number.isInteger(count) || count < 0 || count > PROGRAMS * MAX_INSTRUCTIONS) throw new Error(`${count} reciprocals: not librandomx 1.1.10's layout`);
      const reciprocals = Array.from(new BigUint64Array(toArrayBuffer(begin, 0, count * 8).slice(0)));
      return { programs, reciprocals };
    } finally {
      lib.symbols.randomx_release_cache(cache);
    }
  } finally {
    lib.close();
  }
}

const hex = (v: bigint) => `UINT64_C(0x${v.toString(16).padStart(16, "0")})`;
const signExtend = (imm32: number) => BigInt.asUintN(64, BigInt(imm32 | 0));

function instructionMacro(ins: Instruction, reciprocals: bigint[]): string {
  const { dst: d, src: s } = ins;
  switch (ins.opcode) {
    case 0: return `SSH_SUB(${d}, ${s})`;
    case 1: return `SSH_XOR(${d}, ${s})`;
    case 2: return `SSH_ADD_SHIFTED(${d}, ${s}, ${(ins.mod >> 2) % 4})`;
    case 3: return `SSH_MUL(${d}, ${s})`;
    case 4: return `SSH_ROR(${d}, ${ins.imm32 % 64})`;
    case 5: case 7: case 9: return `SSH_ADD_C(${d}, ${hex(signExtend(ins.imm32))})`;
    case 6: case 8: case 10: return `SSH_XOR_C(${d}, ${hex(signExtend(ins.imm32))})`;
    case 11: return `SSH_MULH(${d}, ${s})`;
    case 12: return `SSH_SMULH(${d}, ${s})`;
    case 13: {
      const r = reciprocals[ins.imm32];
      if (r === undefined) throw new Error(`IMUL_RCP names reciprocal ${ins.imm32} of ${reciprocals.length}`);
      return `SSH_MUL_C(${d}, ${hex(r)})`;
    }
    default: throw new Error(`opcode ${ins.opcode}`);
  }
}

export function header(library: string): string {
  const { programs, reciprocals } = readPrograms(library);
  const lines = [
    `/* Generated by ffi/superscalar-programs.ts from librandomx's cache for the key "${KEY}"; do not edit. */`,
    "/* The eight SuperscalarHash programs that build each dataset item, in the order they run; each SSH_ macro is one",
    " * instruction on registers 0-7, defined by the file that includes this one. */",
    "#ifndef K2POW_SUPERSCALAR_PROGRAMS_H",
    "#define K2POW_SUPERSCALAR_PROGRAMS_H",
    "",
    `#define SSH_KEY "${KEY}"`,
  ];
  programs.forEach((program, p) => {
    lines.push("", `/* ${program.instructions.length} instructions */`, `#define SSH_ADDRESS_REGISTER_${p} ${program.addressRegister}`, `#define SSH_PROGRAM_${p} \\`);
    for (const ins of program.instructions) lines.push(`  ${instructionMacro(ins, reciprocals)} \\`);
    lines.push("  /* end */");
  });
  lines.push("", "#endif", "");
  return lines.join("\n");
}

if (import.meta.main) {
  const library = join(import.meta.dir, "..", "build", "native", "librandomx.so.0");
  const text = header(library);
  if (process.argv.includes("--check")) {
    if (readFileSync(HEADER, "utf8") !== text) {
      console.error(`${HEADER} differs from the programs ${library} derives; run bun ffi/superscalar-programs.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(HEADER, text);
    console.error(`wrote ${HEADER}`);
  }
}
