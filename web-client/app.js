// The web client (placeholder until the web client lands).
export const version = 1;
