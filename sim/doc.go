// Package sim is the Stackless core of Stackworld.
package sim
