// What a new user sees running the README's example (see pom.xml): three continuations and a
// next-token table on stdout; on stderr no SLF4J notice, no JVM warning, no stack trace.
def check(String run) {
    File out = new File(basedir, "target/${run}.out")
    File err = new File(basedir, "target/${run}.err")
    assert out.isFile() : "${run}: the example did not run"
    String stdout = out.getText("UTF-8")
    String stderr = err.getText("UTF-8")
    println "---- ${run}: stdout ----\n${stdout}---- ${run}: stderr ----\n${stderr}"
    assert stdout.startsWith("The meaning of life is") && stdout.length() > 60 : "${run}: no first generation"
    // 40 tokens with "\n" banned: the whole continuation on the prompt's line
    assert stdout.readLines().any { it.startsWith("Once upon a time") && it.length() > 80 } :
            "${run}: the generation with newlines banned is not one long line"
    assert stdout.readLines().any { it.startsWith("A fool and his money") && it.length() > 80 } :
            "${run}: the streamed tokens are missing"
    // the table: a header, then one row per candidate with its quoted token
    List<String> rows = stdout.readLines().findAll { it =~ /^\s*\*?\s*\d+\s+\d+\s+"/ }
    assert rows.size() == 10 : "${run}: expected 10 candidate rows in the next-token table:\n${stdout}"
    assert rows.any { it.contains('" the"') } : "${run}: ' the' is not among the candidates"
    // (which candidates come depends on the default model; escaping is ReadableOutputTest's and TokenTextTest's)
    assert !stderr.contains("SLF4J") : "${run}: SLF4J notice on stderr"
    assert !stderr.contains("WARNING") : "${run}: JVM warnings on stderr"
    assert !stderr.contains("Exception") && !stderr.contains("\tat ") : "${run}: a stack trace on stderr"
    return stdout
}

String first = check("java-default")
if (new File("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java").exists()) {
    assert first == check("java-25") : "Java 25 gives other text than the default Java for the same seed"
}
return true
