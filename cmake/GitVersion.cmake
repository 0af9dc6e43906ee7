# Writes the git commit into a generated source at every build (not only at configure time), and
# rewrites it only when it changed so that nothing relinks needlessly.
set(LATENTLAB_GIT_SOURCE ${CMAKE_BINARY_DIR}/generated/git_commit.cpp)
add_custom_target(latentlab_git_commit
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DOUTPUT=${LATENTLAB_GIT_SOURCE}
          -P ${CMAKE_SOURCE_DIR}/cmake/WriteGitCommit.cmake
  BYPRODUCTS ${LATENTLAB_GIT_SOURCE}
  COMMENT "Reading the git commit")
