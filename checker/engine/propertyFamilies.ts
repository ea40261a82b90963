import type { LivenessProperty } from "./search.ts";
import type { ThreadGroup } from "./threadGroup.ts";

/**
 * Liveness properties checked together (see liveness.ts, Labels): under symmetry, the instances of
 * one property, one per owner thread; without, a single property.
 */
export interface Family {
	readonly name: string;
	/** Member m's property. */
	readonly properties: readonly LivenessProperty[];
	/** Member m's label index (its position among the run's liveness properties). */
	readonly members: Int32Array;
	/** Member m's owner thread (-1 without symmetry). */
	readonly owners: Int32Array;
	/** `ownerImage[g * k + m]`: the member whose owner element g moves member m's owner to. */
	readonly ownerImage: Uint8Array;
}

/** One family per property, in order (no symmetry). */
export function singletonFamilies(liveness: readonly LivenessProperty[]): Family[] {
	return liveness.map((p, j) => ({ name: p.name, properties: [p], members: Int32Array.of(j), owners: Int32Array.of(-1), ownerImage: new Uint8Array(1) }));
}

/**
 * The properties as families under `group`, in order of first appearance: the properties of one
 * name, each naming its owner thread, distinct, which every element of the group moves to the
 * owner of another of them. A sentence saying why not, when they are not.
 */
export function ownerFamilies(liveness: readonly LivenessProperty[], group: ThreadGroup): Family[] | string {
	const byName = new Map<string, number[]>();
	liveness.forEach((p, j) => {
		byName.set(p.name, [...(byName.get(p.name) ?? []), j]);
	});
	const families: Family[] = [];
	for (const [name, indices] of byName) {
		const owners = indices.map((j) => (liveness[j] as LivenessProperty).owner ?? -1);
		if (owners.includes(-1)) return `liveness property '${name}' names no owner thread`;
		if (new Set(owners).size !== owners.length) return `two instances of liveness property '${name}' name the same owner thread`;
		const k = owners.length;
		const ownerImage = new Uint8Array(group.size * k);
		for (let g = 0; g < group.size; g++) {
			for (let m = 0; m < k; m++) {
				const image = owners.indexOf(group.apply(g, owners[m] as number));
				if (image < 0) return `liveness property '${name}' has no instance for thread ${group.apply(g, owners[m] as number)}, a symmetric image of its owner thread ${owners[m]}`;
				ownerImage[g * k + m] = image;
			}
		}
		families.push({
			name,
			properties: indices.map((j) => liveness[j] as LivenessProperty),
			members: Int32Array.from(indices),
			owners: Int32Array.from(owners),
			ownerImage,
		});
	}
	return families;
}
