/** Roles of automation clients and dashboard users, each including the ones before it. */
export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** True when `held` grants what `required` asks for. */
export function roleAllows(held: Role, required: Role): boolean {
  return RANK[held] >= RANK[required];
}
