package org.sepnet.cli;

import com.google.gson.FormattingStyle;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** The commands' {@code --json} output: one line, {@code "key": value} with a space, NaN written as NaN, nulls kept. */
final class Json {
    private static final Gson GSON = new GsonBuilder().setFormattingStyle(FormattingStyle.COMPACT.withSpaceAfterSeparators(true))
            .serializeSpecialFloatingPointValues().serializeNulls().disableHtmlEscaping().create();

    private Json() {}

    static String of(Object value) {
        return GSON.toJson(value);
    }
}
