import { describe, expect, it } from 'vitest';
import { communication } from '../../checker/report/communication.ts';
import { run, sharedMemory } from './sharedMemory.ts';

// writer: set_x (x := 1), then set_bit1 (bits |= 2); reader: wait_x (until x = 1), then copy_bits (y := bits);
// other: set_bit0 (bits |= 1), then peek (z := x)
const system = sharedMemory(['writer', 'reader', 'other'], ['x', 'bits', 'y', 'z'], [
  { thread: 0, name: 'set_x', from: 0, to: 1, update: () => ({ x: 1 }) },
  { thread: 0, name: 'set_bit1', from: 1, to: 2, update: (v) => ({ bits: v.bits! | 2 }) },
  { thread: 1, name: 'wait_x', from: 0, to: 1, guard: (v) => v.x === 1 },
  { thread: 1, name: 'copy_bits', from: 1, to: 2, update: (v) => ({ y: v.bits! }) },
  { thread: 2, name: 'set_bit0', from: 0, to: 1, update: (v) => ({ bits: v.bits! | 1 }) },
  { thread: 2, name: 'peek', from: 1, to: 2, update: (v) => ({ z: v.x! }) },
]);

const edges = (names: string[]): string[] =>
  communication(system, run(system, names)).map((c) => `${names[c.from]}->${names[c.to]}`);

describe('communication edges: step j of one thread ordered after step i of another', () => {
  it('a waiter released by a write is an edge; commuting bit sets are not', () => {
    expect(edges(['set_bit0', 'set_x', 'set_bit1', 'wait_x'])).toEqual(['set_x->wait_x']);
  });

  it('a read followed by an overwrite is ordered (the read must come first), and so is the read of a write', () => {
    // set_bit0 -> copy_bits (it reads bits) is implied: set_bit0, peek -> set_x -> wait_x, copy_bits
    expect(edges(['set_bit0', 'peek', 'set_x', 'wait_x', 'copy_bits'])).toEqual(['peek->set_x', 'set_x->wait_x']);
    expect(edges(['set_bit0', 'set_x', 'wait_x', 'copy_bits'])).toEqual(['set_x->wait_x', 'set_bit0->copy_bits']);
  });

  it('keeps only direct edges: an order implied through another thread is left out', () => {
    // set_x -> wait_x -> copy_bits, and set_bit1 -> copy_bits; set_x -> copy_bits is implied
    expect(edges(['set_x', 'set_bit1', 'wait_x', 'copy_bits'])).toEqual(['set_x->wait_x', 'set_bit1->copy_bits']);
  });

  it('finds nothing between independent threads', () => {
    expect(edges(['set_bit0', 'set_x', 'wait_x'])).toEqual(['set_x->wait_x']);
    expect(edges(['set_x', 'set_bit0'])).toEqual([]);
  });
});
