package org.sepnet.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.sepnet.backend.Availability;
import org.sepnet.backend.cuda.CudaBackend;

/**
 * Marks GPU tests: tagged {@code gpu}, and skipped (reported as skipped, with the backend's reason
 * printed) where the CUDA backend is unavailable.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("gpu")
@ExtendWith(RequiresGpu.Condition.class)
public @interface RequiresGpu {
    /** Enables the tests only when {@link CudaBackend} is available. */
    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            Availability a = CudaBackend.instance().availability();
            if (a.available()) {
                return ConditionEvaluationResult.enabled("GPU: " + a.detail());
            }
            String reason = "GPU tests skipped: " + a.detail();
            System.out.println(context.getDisplayName() + ": " + reason);
            return ConditionEvaluationResult.disabled(reason);
        }
    }
}
