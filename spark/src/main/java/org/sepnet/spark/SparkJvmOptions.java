package org.sepnet.spark;

import org.apache.spark.launcher.JavaModuleOptions;

/** Prints the JVM options spark-submit gives every Spark JVM (module opens), for spark/predict.sh's own JVM. */
public final class SparkJvmOptions {
    private SparkJvmOptions() {}

    public static void main(String[] args) {
        System.out.println(JavaModuleOptions.defaultModuleOptions());
    }
}
