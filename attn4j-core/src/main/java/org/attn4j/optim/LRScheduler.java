package org.attn4j.optim;

/**
 * Learning-rate schedules, evaluated per step: call {@link #apply(Optimizer, long)} before each optimizer step
 * with the number of steps taken so far. As with torch's and timm's schedulers, a schedule is written relative to
 * each parameter group's own initial lr (torch's {@code base_lrs}, the {@code initial_lr} of every group;
 * timm's {@code base_values}): groups created with different learning rates (a smaller one for a pre-trained
 * backbone, say) keep their proportions, while the schedule's absolute values (a cosine's floor, a warm-up's
 * starting lr) are shared by all groups, as in timm.
 */
@FunctionalInterface
public interface LRScheduler {
    /** The lr at step {@code step} (0-based) of a group whose initial lr is {@code initialLr}. */
    double lr(long step, double initialLr);

    /** Sets every group's lr for step {@code step}: {@code lr(step, group.initialLr())}. */
    default void apply(Optimizer optimizer, long step) {
        for (ParamGroup g : optimizer.paramGroups()) g.setLr(lr(step, g.initialLr()));
    }

    /** Each group keeps its initial lr ({@code torch.optim.lr_scheduler.ConstantLR} with factor 1). */
    static LRScheduler constant() {
        return (step, initialLr) -> initialLr;
    }

    /**
     * {@code torch.optim.lr_scheduler.StepLR}: multiply by {@code gamma} every {@code stepSize} steps, in its
     * closed form {@code initialLr · gamma^(step / stepSize)} (integer division).
     */
    static LRScheduler step(long stepSize, double gamma) {
        if (stepSize <= 0) throw new IllegalArgumentException("StepLR: step_size must be positive, got " + stepSize);
        return (step, initialLr) -> initialLr * Math.pow(gamma, step / stepSize);
    }

    /**
     * Linear warm-up from {@code warmupStartLr} to the group's initial lr over {@code warmupSteps}, then cosine
     * annealing to {@code minLr} at {@code totalSteps}, and {@code minLr} from there on. This is timm's
     * {@code CosineLRScheduler(t_initial=totalSteps - warmupSteps, lr_min=minLr, warmup_t=warmupSteps,
     * warmup_lr_init=warmupStartLr, warmup_prefix=True, t_in_epochs=False)} (one cycle, no noise): step 0 is
     * {@code warmupStartLr}, step {@code warmupSteps} is the initial lr, and the cosine runs over the steps
     * after the warm-up. {@code warmupSteps == totalSteps} is all warm-up.
     */
    static LRScheduler cosineWithWarmup(double minLr, long warmupSteps, double warmupStartLr, long totalSteps) {
        if (totalSteps <= 0) throw new IllegalArgumentException("cosine schedule: total steps must be positive, got " + totalSteps);
        if (warmupSteps < 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("cosine schedule: warm-up steps " + warmupSteps + " must be in [0, " + totalSteps + "]");
        }
        return (step, baseLr) -> {
            if (step < warmupSteps) return warmupStartLr + (baseLr - warmupStartLr) * step / (double) warmupSteps;
            if (step >= totalSteps) return minLr;
            double t = (step - warmupSteps) / (double) (totalSteps - warmupSteps);
            return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * t));
        };
    }
}
