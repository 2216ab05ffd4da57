package org.attn4j.optim;

/**
 * Learning-rate schedules, evaluated per step (call {@link #apply(Optimizer, long)} before each
 * optimizer step with the number of steps taken so far).
 */
public interface LRScheduler {
    /** The learning rate at step {@code step} (0-based). */
    double lr(long step);

    /**
     * Sets the lr of step {@code step} on every parameter group of {@code optimizer}. Unlike torch's schedulers,
     * which scale each group's own initial lr, this gives all groups the same lr.
     */
    default void apply(Optimizer optimizer, long step) {
        optimizer.setLr(lr(step));
    }

    /** A fixed rate. */
    static LRScheduler constant(double lr) {
        return step -> lr;
    }

    /**
     * {@code torch.optim.lr_scheduler.StepLR}: multiply by {@code gamma} every {@code stepSize} steps, in its
     * closed form {@code baseLr · gamma^(step / stepSize)} (integer division).
     */
    static LRScheduler step(double baseLr, long stepSize, double gamma) {
        if (stepSize <= 0) throw new IllegalArgumentException("StepLR: step_size must be positive, got " + stepSize);
        return step -> baseLr * Math.pow(gamma, step / stepSize);
    }

    /**
     * Linear warm-up from {@code warmupStartLr} to {@code baseLr} over {@code warmupSteps}, then cosine
     * annealing to {@code minLr} at {@code totalSteps}, and {@code minLr} from there on. This is timm's
     * {@code CosineLRScheduler(t_initial=totalSteps - warmupSteps, lr_min=minLr, warmup_t=warmupSteps,
     * warmup_lr_init=warmupStartLr, warmup_prefix=True, t_in_epochs=False)} (one cycle, no noise): step 0 is
     * {@code warmupStartLr}, step {@code warmupSteps} is {@code baseLr}, and the cosine runs over the steps
     * after the warm-up. {@code warmupSteps == totalSteps} is all warm-up.
     */
    static LRScheduler cosineWithWarmup(double baseLr, double minLr, long warmupSteps, double warmupStartLr, long totalSteps) {
        if (totalSteps <= 0) throw new IllegalArgumentException("cosine schedule: total steps must be positive, got " + totalSteps);
        if (warmupSteps < 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("cosine schedule: warm-up steps " + warmupSteps + " must be in [0, " + totalSteps + "]");
        }
        return step -> {
            if (step < warmupSteps) return warmupStartLr + (baseLr - warmupStartLr) * step / (double) warmupSteps;
            if (step >= totalSteps) return minLr;
            double t = (step - warmupSteps) / (double) (totalSteps - warmupSteps);
            return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * t));
        };
    }
}
