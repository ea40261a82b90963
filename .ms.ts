import { minimizeSwitches, threadSwitches, explore } from '/work/main/checker/engine/index.ts';
import { bindProperties, compileMachine, symmetryCanonicalizer } from '/work/main/checker/xstate/index.ts';
import { guestMode } from '/work/main/specs/guest-mode.ts';
for (const name of ['rfc-1-6', 'check-before-mode']) for (const config of [{vcpus:2,requesters:2},{vcpus:3,requesters:2}]) {
  const v = guestMode.variants.find((x) => x.name === name)!;
  const inst = v.build(config);
  const sys = compileMachine(inst.machine);
  const props = bindProperties(sys, inst.properties);
  const r = explore(sys, props, { canonicalize: symmetryCanonicalizer(sys.layout) });
  const p = props.find((x) => x.name === r.property)! as { holds: () => boolean };
  const t0 = performance.now();
  const m = minimizeSwitches(sys, () => !p.holds(), r.trace!.actions.length, {maxStates: 2_000_000});
  console.log(name, config, 'states', r.states, 'len', r.trace!.actions.length, 'engine switches', threadSwitches(sys, r.trace!.actions), '->', m.kind, m.kind==='found' ? m.switches : '', ((performance.now()-t0)/1000).toFixed(2), 's');
}
