/**
 * Revocations made by this coordinator, announced in process so the dashboard gateway drops the
 * revoked tokens' sockets at once (other replicas notice on their next periodic re-check).
 */
export class TokenRevocations {
  private readonly listeners = new Set<(tokenIds: readonly string[]) => void>();

  onRevoked(listener: (tokenIds: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  announce(tokenIds: readonly string[]): void {
    if (tokenIds.length === 0) return;
    for (const listener of this.listeners) listener(tokenIds);
  }
}
