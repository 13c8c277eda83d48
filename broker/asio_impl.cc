// Asio and Beast are compiled once here (BOOST_*_SEPARATE_COMPILATION) rather
// than in every broker file that includes them.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
