# docs/config.md must be what `hedgesim list keys` prints from the key tables, so the key reference
# cannot drift from the parser: run by the test config_reference with BIN, DOC and OUT set.
execute_process(COMMAND ${BIN} list keys OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "hedgesim list keys failed with exit code ${rc}")
endif()
file(READ ${DOC} committed)
if(NOT generated STREQUAL committed)
  file(WRITE ${OUT} "${generated}")
  message(FATAL_ERROR "${DOC} differs from `hedgesim list keys` (the key tables): regenerate it with "
                      "`hedgesim list keys > docs/config.md`; the generated text is in ${OUT}")
endif()
