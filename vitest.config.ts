import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // A forgotten `.only` must fail the run, not silently skip the rest.
    allowOnly: false,
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/integration/**"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          // One sandbox host: the integration files run one after another.
          pool: "forks",
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 30 * 60_000,
          hookTimeout: 30 * 60_000,
        },
      },
    ],
  },
});
