# Sourced by the scripts: picks the Java 25 JDK for Maven and the launcher.
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q '"25'; then
  for j in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do
    if [ -x "$j/bin/javac" ]; then export JAVA_HOME="$j"; break; fi
  done
fi
export PATH="$JAVA_HOME/bin:$PATH"
